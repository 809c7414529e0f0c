"""Schemathesis over the OpenAPI document: no request it generates gets a 5xx.

Covers the graph-core API (health, catalogue, schema, validate, build, import, export,
saved graphs). The run routes need the training runtime (trainer processes):
tests/integration/test_runs_*.py cover them, and bench/fuzz_api.py fuzzes every operation
of a live server. A bounded number of examples keeps this to a minute or two.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from layerforge.api.app import create_app
from layerforge.settings import Settings

GRAPH_CORE_TAGS = ["meta", "models", "graphs"]


# schemathesis.pytest.from_fixture does not work with pytest 9, so the app is built at
# import, on a data directory of its own.
app = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="layerforge-fuzz-"))))
schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).include(tag=GRAPH_CORE_TAGS)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_makes_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])
