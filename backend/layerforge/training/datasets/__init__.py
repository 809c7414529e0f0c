"""Data sets: built-in, generated and uploaded; their arrays fitted to a graph's Input and
Output nodes. numpy (and Pillow) only, but for image_stream: the API process checks data
sets and never imports TensorFlow.

  models      the answers (ArrayInfo, DatasetInfo, DatasetList, DatasetRef,
              DatasetCheckAnswer) and `Loaded` arrays
  catalogue   finding a set by name: built-in, generated, uploaded (the store)
  builtin     scikit-learn's small sets and MNIST;  generated: the guide examples' sets
  uploads     storing uploads under server-chosen names
  image_folders  image sets: a .zip unpacked safely, a server folder scanned, thumbnails
  image_samples  thumbnails of a class (GET /api/datasets/{name}/samples)
  image_stream   the trainer's image_dataset_from_directory pipeline (imports Keras)
  image_fixes    one-click fixes for an Input that does not take the set's images
  csv_reader  .csv -> x, y (streamed, capped);  npz_reader: .npz checked before reading
  fitting     arrays mapped to Input/Output nodes, mismatches as Problems
  names       what a name (and other stored text) may be
"""

from layerforge.training.datasets.catalogue import (
    builtin_infos,
    dataset_info,
    is_builtin,
    load_dataset,
    upload_info,
    uploads_dir,
)
from layerforge.training.datasets.errors import DatasetError, DatasetExists
from layerforge.training.datasets.fitting import (
    DataPlan,
    adapt_target,
    check_dataset,
    map_arrays,
    plan_dataset,
    target_fit,
)
from layerforge.training.datasets.models import (
    ArrayInfo,
    DatasetCheckAnswer,
    DatasetInfo,
    DatasetList,
    DatasetRef,
    Loaded,
)
from layerforge.training.datasets.uploads import delete_upload, save_upload

__all__ = [
    "ArrayInfo",
    "DataPlan",
    "DatasetCheckAnswer",
    "DatasetError",
    "DatasetExists",
    "DatasetInfo",
    "DatasetList",
    "DatasetRef",
    "Loaded",
    "adapt_target",
    "builtin_infos",
    "check_dataset",
    "dataset_info",
    "delete_upload",
    "is_builtin",
    "load_dataset",
    "map_arrays",
    "plan_dataset",
    "save_upload",
    "target_fit",
    "upload_info",
    "uploads_dir",
]
