"""Data sets: built-in shapes, mapping to Input/Output nodes, check messages, uploads."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers import EXAMPLES, chain, digits_mlp
from layerforge.jobs.spec import uploaded_sets
from layerforge.settings import Limits, Settings
from layerforge.store.db import database_url, session_scope, sessions_for
from layerforge.store.runs import RunStore
from layerforge.training.datasets import (
    DatasetError,
    adapt_target,
    check_dataset,
    dataset_info,
    delete_upload,
    load_dataset,
    save_upload,
)

LIMITS = Limits()
HEADLINE = json.loads((EXAMPLES / "functional_headline_two_inputs_two_outputs.json").read_text())
HEADLINE_SHAPES = {
    "main_input": [[None, 100]],
    "aux_input": [[None, 5]],
    "main_output": [[None, 1]],
    "aux_output": [[None, 1]],
}


def _messages(problems) -> list[str]:
    return [p.message for p in problems]


@pytest.mark.parametrize(
    ("name", "x_shape", "y_shape"),
    [
        ("digits", (1797, 8, 8, 1), (1797,)),
        ("digits_flat", (1797, 64), (1797,)),
        ("iris", (150, 4), (150,)),
        ("wine", (178, 13), (178,)),
        ("breast_cancer", (569, 30), (569,)),
        ("diabetes", (442, 10), (442,)),
        ("mnist", (60000, 28, 28, 1), (60000,)),
        ("sequences", (1024, 8, 16), (1024,)),
        ("videos", (64, 8, 64, 64, 3), (64,)),
    ],
)
def test_builtin_sets_describe_their_arrays(name, x_shape, y_shape):
    info = dataset_info({"name": name})
    assert info.arrays["x"].shape == x_shape and info.arrays["y"].shape == y_shape
    assert info.inputs == ["x"] and info.targets == ["y"]


def test_builtin_values_are_as_documented():
    _, digits = load_dataset("digits")
    assert digits["x"].dtype == np.float32 and 0 <= digits["x"].min() and digits["x"].max() <= 1
    assert set(np.unique(digits["y"])) == set(range(10))
    assert dataset_info("diabetes").arrays["y"].dtype == "float32"
    assert dataset_info("breast_cancer").arrays["y"].max == 1


def test_generated_sets_take_a_sample_count_and_are_reproducible():
    info = dataset_info({"name": "headline", "samples": 64})
    assert info.arrays["main_input"].shape == (64, 100) and info.arrays["aux_output"].shape == (
        64,
        1,
    )
    assert info.arrays["main_input"].dtype == "int32" and info.arrays["main_input"].max < 10000
    _, a = load_dataset({"name": "tweets", "samples": 8})
    _, b = load_dataset({"name": "tweets", "samples": 8})
    assert a["tweet_a"].shape == (8, 280, 256) and np.array_equal(a["tweet_a"], b["tweet_a"])
    assert np.all(a["tweet_a"].sum(axis=-1) == 1)  # one-hot characters
    with pytest.raises(DatasetError, match="samples must be an integer from 1"):
        dataset_info({"name": "videos", "samples": 0})


def test_videos_labels_follow_the_motion():
    _, v = load_dataset({"name": "videos", "samples": 16})
    x, y = v["x"], v["y"]
    expected = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1), 4: (0, 0)}
    for video, label in zip(x, y, strict=False):
        first = np.argwhere(video[0, :, :, 0] == 1).min(axis=0)
        last = np.argwhere(video[-1, :, :, 0] == 1).min(axis=0)
        assert tuple(np.sign(last - first)) == expected[int(label)]


@pytest.mark.parametrize("name", ["sequences", "headline", "tweets", "videos"])
def test_generated_descriptions_match_the_data(name):
    described = dataset_info({"name": name, "samples": 40})
    loaded, arrays = load_dataset({"name": name, "samples": 40})
    assert (described.inputs, described.targets) == (loaded.inputs, loaded.targets)
    for key, info in described.arrays.items():
        actual = loaded.arrays[key]
        assert (info.shape, info.dtype, info.integral) == (
            actual.shape,
            actual.dtype,
            actual.integral,
        ), key
        assert info.min <= actual.min and actual.max <= info.max, key


def test_headline_set_fits_the_headline_graph_by_name():
    assert check_dataset(HEADLINE, {"name": "headline"}, HEADLINE_SHAPES) == []


def test_shape_mismatch_names_node_and_array():
    shapes = {**HEADLINE_SHAPES, "aux_input": [[None, 4]]}
    problems = check_dataset(HEADLINE, {"name": "headline", "samples": 1000}, shapes)
    assert _messages(problems) == [
        "input `aux_input` expects (None, 4), array `aux_input` has shape (1000, 5)"
    ]
    assert problems[0].node == "aux_input" and problems[0].code == "dataset_shape_mismatch"


def test_missing_arrays_are_named_per_node():
    problems = check_dataset(HEADLINE, {"name": "digits"}, HEADLINE_SHAPES)
    assert {p.node for p in problems} == {"main_input", "aux_input", "main_output", "aux_output"}
    assert "input `aux_input` has no array in data set `digits`" in problems[1].message


def test_single_input_output_graph_maps_by_position():
    problems = check_dataset(
        digits_mlp(), {"name": "digits_flat"}, {"in": [[None, 64]], "out": [[None, 10]]}
    )
    assert problems == []
    problems = check_dataset(
        digits_mlp(), {"name": "digits"}, {"in": [[None, 64]], "out": [[None, 10]]}
    )
    assert _messages(problems) == [
        "input `x` expects (None, 64), array `x` has shape (1797, 8, 8, 1)"
    ]


def test_sparse_labels_must_be_below_the_units():
    graph = chain(
        {"type": "Dense", "params": {"units": 5}},
        input_shape=[64],
        loss="sparse_categorical_crossentropy",
    )
    problems = check_dataset(graph, "digits_flat", {"in": [[None, 64]], "out": [[None, 5]]})
    assert len(problems) == 1 and problems[0].node == "out"
    assert (
        "sparse_categorical_crossentropy needs integer class labels from 0 to 4"
        in problems[0].message
    )
    assert "values from 0 to 9" in problems[0].message


def test_losses_from_settings_override_the_output_node():
    shapes = {"in": [[None, 64]], "out": [[None, 10]]}
    assert (
        check_dataset(
            digits_mlp(), "digits_flat", shapes, losses={"label": "categorical_crossentropy"}
        )
        == []
    )
    problems = check_dataset(
        digits_mlp(), "digits_flat", shapes, losses={"label": "binary_crossentropy"}
    )
    assert "output `label` predicts (None, 10) with loss binary_crossentropy" in problems[0].message


def test_integer_input_rejects_float_arrays():
    graph = chain(
        {"type": "Flatten"}, input_shape=[64], loss="mse", input_params={"dtype": "int32"}
    )
    problems = check_dataset(graph, "digits_flat", {"in": [[None, 64]], "out": [[None, 1]]})
    assert any(
        p.code == "dataset_dtype_mismatch" and "expects int32 values" in p.message for p in problems
    )


def test_fixed_batch_needs_enough_samples():
    graph = chain(
        {"type": "Dense", "params": {"units": 3}},
        input_shape=[4],
        loss="sparse_categorical_crossentropy",
        input_params={"batch_size": 200},
    )
    problems = check_dataset(graph, "iris", {"in": [[200, 4]], "out": [[200, 3]]})
    assert _messages(problems) == [
        "input `x` has a fixed batch size of 200, array `x` has only 150 samples"
    ]


def test_target_conversions():
    y = np.array([0, 2, 1])
    assert adapt_target(y, "one_hot", 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert adapt_target(np.eye(3)[[2, 0]], "argmax", 3).tolist() == [2, 0]


def test_unknown_data_set_lists_the_known_ones():
    problems = check_dataset(digits_mlp(), "nope", {})
    assert (
        problems[0].code == "dataset_unknown" and "unknown data set 'nope'" in problems[0].message
    )
    assert "digits_flat" in problems[0].message


def test_check_does_not_import_tensorflow():
    code = (
        "import sys, json; from layerforge.training.datasets import check_dataset; "
        f"print(check_dataset(json.loads({json.dumps(json.dumps(HEADLINE))}), 'headline', {{}})); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False False"


# ---- uploads ------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    data_dir = tmp_path / "data"
    sessions = sessions_for(database_url(Settings(data_dir=data_dir)))
    return data_dir, sessions


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _npz(tmp_path: Path, **arrays) -> Path:
    path = tmp_path / "upload.bin"
    with path.open("wb") as f:
        np.savez(f, **arrays)
    return path


def _as_in_a_run_spec(data_dir, sessions, name: str) -> dict:
    """The uploads a run spec carries for the set `name` (what a trainer reads)."""
    found = uploaded_sets(Settings(data_dir=data_dir), RunStore(sessions), [{"name": name}])
    return {k: v.model_dump(mode="json") for k, v in found.items()}


def test_npz_upload_is_stored_under_a_server_name_and_loads(tmp_path, store):
    data_dir, sessions = store
    src = _npz(tmp_path, main_input=np.zeros((10, 3), "float32"), label=np.arange(10))
    with session_scope(sessions) as s:
        record = save_upload(s, src, "../../evil name.npz", data_dir, limits=LIMITS, name="mine")
    assert (
        record.name == "mine" and record.filename.endswith(".npz") and ".." not in record.filename
    )
    assert (data_dir / "datasets" / record.filename).exists() and not src.exists()
    # a trainer reads the set from its run spec, never from the database
    with pytest.raises(DatasetError, match="unknown data set 'mine'"):
        load_dataset("mine", data_dir)
    info, arrays = load_dataset("mine", data_dir, _as_in_a_run_spec(data_dir, sessions, "mine"))
    assert info.arrays["main_input"].shape == (10, 3) and arrays["label"].tolist() == list(
        range(10)
    )
    assert info.original_filename == "../../evil name.npz"
    with session_scope(sessions) as s:
        assert delete_upload(s, "mine", data_dir)
    assert not (data_dir / "datasets" / record.filename).exists()


def test_csv_upload_encodes_class_names(tmp_path, store):
    data_dir, sessions = store
    src = _write(tmp_path, "f.csv", b"a,b,kind\n1,2,cat\n3,4.5,dog\n5,6,cat\n")
    with session_scope(sessions) as s:
        save_upload(s, src, "pets.csv", data_dir, limits=LIMITS, target="kind")
    info, arrays = load_dataset("pets", data_dir, _as_in_a_run_spec(data_dir, sessions, "pets"))
    assert arrays["x"].tolist() == [[1, 2], [3, 4.5], [5, 6]] and arrays["y"].tolist() == [0, 1, 0]
    assert info.classes == ["cat", "dog"] and info.kind == "csv"


@pytest.mark.parametrize(
    ("filename", "content", "kwargs", "message"),
    [
        ("x.txt", b"1,2", {}, "unsupported file type '.txt'"),
        (
            "x.csv",
            b"a,b\n1,2\n",
            {},
            "choose the target column (form field `target`); columns: a, b",
        ),
        ("x.csv", b"a,b\n1,2\n", {"target": "c"}, "target column 'c' is not in the header (a, b)"),
        ("x.csv", b"a,b\n1,oops\n", {"target": "a"}, "row 2, column 'b': 'oops' is not a number"),
        ("x.csv", b"a,b\n1,2,3\n", {"target": "a"}, "row 2 has 3 cells, the header has 2"),
        (
            "x.csv",
            b"a,b\n1,2\n",
            {"target": "a", "features": ["z"]},
            "feature column(s) 'z' not in the header",
        ),
        ("x.npz", b"not a zip", {}, "not a readable .npz file"),
        ("digits.npz", b"", {}, "taken by a built-in set"),
        ("bad name!.npz", b"", {}, "must be 1-64 letters"),
    ],
)
def test_bad_uploads_say_what_is_wrong(tmp_path, store, filename, content, kwargs, message):
    data_dir, sessions = store
    src = _write(tmp_path, "in.bin", content)
    with session_scope(sessions) as s, pytest.raises(DatasetError) as info:
        save_upload(s, src, filename, data_dir, limits=LIMITS, **kwargs)
    assert message in str(info.value)


def test_npz_arrays_must_agree_and_be_numeric(tmp_path, store):
    data_dir, sessions = store
    with session_scope(sessions) as s:
        with pytest.raises(
            DatasetError, match="sample counts differ: array `a` has 3, array `b` has 4"
        ):
            save_upload(
                s, _npz(tmp_path, a=np.zeros(3), b=np.zeros(4)), "d.npz", data_dir, limits=LIMITS
            )
        with pytest.raises(DatasetError, match="array `s` has dtype <U1"):
            save_upload(s, _npz(tmp_path, s=np.array(["a", "b"])), "d.npz", data_dir, limits=LIMITS)


def test_upload_names_are_unique(tmp_path, store):
    data_dir, sessions = store
    with session_scope(sessions) as s:
        save_upload(
            s,
            _npz(tmp_path, x=np.zeros((2, 1)), y=np.zeros(2)),
            "twice.npz",
            data_dir,
            limits=LIMITS,
        )
    with session_scope(sessions) as s, pytest.raises(DatasetError, match="'twice' exists already"):
        save_upload(
            s,
            _npz(tmp_path, x=np.zeros((2, 1)), y=np.zeros(2)),
            "twice.npz",
            data_dir,
            limits=LIMITS,
        )


# ---- hostile uploads: bounded cost, clear 4xx ------------------------------------------------


def _upload(store, tmp_path, filename, content: bytes, limits=LIMITS, **kwargs):
    data_dir, sessions = store
    with session_scope(sessions) as s:
        return save_upload(
            s, _write(tmp_path, "in.bin", content), filename, data_dir, limits=limits, **kwargs
        )


def _csv_error(store, tmp_path, content: bytes, limits=LIMITS, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        _upload(store, tmp_path, "t.csv", content, limits, **kwargs)
    return info.value


def test_a_wide_csv_under_a_raised_cap_is_read_in_linear_time(tmp_path, store):
    """Column matching was quadratic: 16k columns took 3 s, so 200k would take minutes."""
    n = 200_000
    content = (",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(["1"] * n) + "\n").encode()
    started = time.perf_counter()
    record = _upload(
        store, tmp_path, "wide.csv", content, Limits(csv_columns=n), target=f"c{n - 1}"
    )
    assert time.perf_counter() - started < 5
    assert record.meta["arrays"]["x"]["shape"] == [1, n - 1]


def test_csv_caps_name_the_limit(tmp_path, store):
    err = _csv_error(store, tmp_path, b"a,b,c\n1,2,3\n", Limits(csv_columns=2), target="a")
    assert err.code == "too_large" and str(err) == (
        "the .csv file has 3 columns; the limit is 2 (LAYERFORGE_LIMIT_CSV_COLUMNS)"
    )
    err = _csv_error(store, tmp_path, b"a,b\n1,2\n3,4\n5,6\n", Limits(csv_rows=2), target="a")
    assert "more than 2 data rows; the limit is 2 (LAYERFORGE_LIMIT_CSV_ROWS)" in str(err)


def test_a_csv_field_over_the_field_limit_names_row_and_column(tmp_path, store):
    content = b'a,b,c\n1,2,3\n4,"' + b"9" * 140_000 + b'",6\n'
    err = _csv_error(store, tmp_path, content, target="a")
    assert str(err) == "row 3, column 2: a field is longer than the limit of 131,072 characters"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,a,b\n1,2,3\n", "column 'a' appears twice in the header"),
        (b"a,b\x00\n1,2\n", "the name of column 2 holds a NUL character"),
        (b"a,b\n1,x\x00\n", "column 'b': the class name 'x\\x00' holds a NUL character"),
        (b"a,b\n1,2\n\xff\n", "the .csv file is not UTF-8 text"),
    ],
)
def test_csv_text_that_cannot_be_stored_is_refused(tmp_path, store, content, message):
    assert message in str(_csv_error(store, tmp_path, content, target="b"))


def test_csv_messages_show_a_bounded_part_of_a_long_header(tmp_path, store):
    header = ",".join(f"c{i}" for i in range(5000)).encode()
    err = _csv_error(store, tmp_path, header + b"\n" + b",".join([b"1"] * 5000) + b"\n")
    assert str(err).endswith("c18, c19, … (4,980 more)") and len(str(err)) < 300


def _npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf,
        {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": shape,
        },
    )
    return buf.getvalue()


def _zip(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")  # a duplicate name, on purpose
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


_int_array = _npy_header("<i4", (1,)) + bytes(4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (  # a header that declares 10^12 floats over 8 bytes: np.load would allocate it all
            _zip(("x.npy", _npy_header("float32", (10**12,)) + bytes(8))),
            "array `x` declares shape (1000000000000,) (4,000,000,000,000 bytes) but holds 8 bytes",
        ),
        (
            _zip(("x.npy", _npy_header("complex64", (2,)) + bytes(16))),
            "array `x` has dtype complex64; only bool, integer and float arrays can be used",
        ),
        (
            _zip(("x.npy", _npy_header("<i4", ()) + bytes(4))),
            "array `x` is a scalar; every array needs a first (sample) axis",
        ),
        (
            _zip(("notes.txt", b"hello")),
            "member 'notes.txt' of the .npz file is not a .npy array",
        ),
        (_zip(("x.npy", b"\x93NUMPY junk")), "array `x` is not a readable .npy array"),
        (_zip(("x.npy", _int_array), ("x.npy", _int_array)), "array `x` appears twice"),
        (_zip(), "the .npz file holds no arrays"),
    ],
)
def test_npz_arrays_are_checked_before_they_are_read(tmp_path, store, content, message):
    with pytest.raises(DatasetError) as info:
        _upload(store, tmp_path, "d.npz", content)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "array",
    [
        np.zeros(3, "complex128"),
        np.array([{"a": 1}, None, 3], dtype=object),
        np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
        np.zeros(3, dtype="datetime64[s]"),
    ],
    ids=["complex", "object", "structured", "datetime"],
)
def test_npz_with_non_numeric_dtypes_names_the_array(tmp_path, store, array):
    buf = io.BytesIO()
    np.savez(buf, y=np.zeros(3), weird=array)
    with pytest.raises(DatasetError, match="array `weird` has dtype .*; only bool, integer"):
        _upload(store, tmp_path, "d.npz", buf.getvalue())


def test_npz_inflated_size_is_capped_before_reading(tmp_path, store):
    content = _npz_bytes(x=np.zeros((100, 10), "float32"), y=np.zeros(100))
    with pytest.raises(DatasetError) as info:
        _upload(store, tmp_path, "d.npz", content, Limits(npz_inflated_bytes=4000))
    assert info.value.code == "too_large" and str(info.value) == (
        "array `x` inflates to 4,128 bytes, 4,128 with the arrays before it; "
        "the limit is 4,000 (LAYERFORGE_LIMIT_NPZ_INFLATED_BYTES)"
    )


def test_npz_description_streams_and_matches_the_data(tmp_path, store):
    x = np.arange(-5, 5 * 10**6, dtype="float64").reshape(-1, 5) / 2  # 40 MB: several chunks
    x[3, 2] = np.nan
    record = _upload(store, tmp_path, "d.npz", _npz_bytes(x=x, y=np.arange(len(x)) % 3))
    assert record.meta["arrays"]["x"] == {
        "shape": [len(x), 5],
        "dtype": "float64",
        "min": -2.5,
        "max": float(x[-1, -1]),
        "integral": False,
    }
    assert record.meta["arrays"]["y"] | {"shape": None} == {
        "shape": None,
        "dtype": "int64",
        "min": 0.0,
        "max": 2.0,
        "integral": True,
    }
    assert record.meta["inputs"] == ["x"] and record.meta["targets"] == ["y"]


@pytest.mark.parametrize("name", [".", "..", "a/b", "a\\b", "a\x00b", "\ud800", "x\n", "é", ""])
def test_data_set_names_that_resolve_or_cannot_be_stored_are_refused(tmp_path, store, name):
    content = _npz_bytes(x=np.zeros((2, 1)), y=np.zeros(2))
    with pytest.raises(DatasetError, match="must be 1-64 letters") as info:
        _upload(store, tmp_path, "d.npz", content, name=name or "a" * 65)
    assert info.value.param == "name"
    problems = check_dataset(digits_mlp(), {"name": name}, {})
    assert problems[0].param == "dataset.name" and problems[0].code == "bad_reference"


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("..npz", "data set name '.' must be 1-64 letters"),
        ("...npz", "data set name '..' must be 1-64 letters"),
        ("a\x00b.npz", "the file name holds a NUL character"),
        ("\ud800.npz", "the file name holds a lone surrogate"),
    ],
)
def test_file_names_that_cannot_name_a_set_are_refused(tmp_path, store, filename, message):
    content = _npz_bytes(x=np.zeros((2, 1)), y=np.zeros(2))
    with pytest.raises(DatasetError) as info:
        _upload(store, tmp_path, filename, content)
    assert message in str(info.value) and info.value.param is None


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()
