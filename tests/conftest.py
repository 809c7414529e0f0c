"""Session-wide test environment: quiet TensorFlow, a throwaway data directory."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("LAYERFORGE_DATA_DIR", tempfile.mkdtemp(prefix="layerforge-test-"))
