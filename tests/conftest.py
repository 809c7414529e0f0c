"""Session-wide test environment: quiet TensorFlow, a throwaway data directory, and no
warm trainer process unless a test asks for one (each imports TensorFlow)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("LAYERFORGE_DATA_DIR", tempfile.mkdtemp(prefix="layerforge-test-"))
os.environ.setdefault("LAYERFORGE_WARM_TRAINER", "false")
os.environ.setdefault("LAYERFORGE_ALLOW_TEST_HOST", "true")  # TestClient's Host: testserver
