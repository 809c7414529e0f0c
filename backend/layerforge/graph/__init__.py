"""The graph core: what the editor draws, checked and built with Keras.

Public entry points (everything else is reached through its sub-package):
validation (`validate_graph`, `model_summary`, `ValidationReport`, `BuildSummary`),
building (`build_model`, `compile_spec`), conversion (`import_keras_json`,
`import_keras_file`, `to_python`, `export_keras_json`, `export_keras_file`), the
contract (`Graph`, `parse_graph`, `Problem`, `GraphError`, `GraphLimits`), the
catalogue (`get_catalogue`, `LayerCatalogue`) and `clear_caches`.

They load on first use (PEP 562), so importing a Keras-free module of this package
(`schema`, `topology`, `problems`, `limits`, `catalogue.kinds`) never imports Keras."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_ENTRY_POINTS = {
    "validate_graph": "checks.validate",
    "model_summary": "checks.validate",
    "ValidationReport": "checks.report",
    "NodeReport": "checks.report",
    "BuildSummary": "checks.report",
    "build_model": "build.model",
    "compile_spec": "build.compile_args",
    "import_keras_json": "convert.importer",
    "import_keras_file": "convert.importer",
    "to_python": "convert.codegen",
    "export_keras_json": "convert.export",
    "export_keras_file": "convert.export",
    "get_catalogue": "catalogue.specs",
    "LayerCatalogue": "catalogue.specs",
    "Graph": "schema",
    "parse_graph": "schema",
    "Problem": "problems",
    "GraphError": "problems",
    "GraphLimits": "limits",
}

__all__ = [
    "BuildSummary",
    "Graph",
    "GraphError",
    "GraphLimits",
    "LayerCatalogue",
    "NodeReport",
    "Problem",
    "ValidationReport",
    "build_model",
    "clear_caches",
    "compile_spec",
    "export_keras_file",
    "export_keras_json",
    "get_catalogue",
    "import_keras_file",
    "import_keras_json",
    "model_summary",
    "parse_graph",
    "to_python",
    "validate_graph",
]

if TYPE_CHECKING:
    from layerforge.graph.build.compile_args import compile_spec
    from layerforge.graph.build.model import build_model
    from layerforge.graph.catalogue.specs import LayerCatalogue, get_catalogue
    from layerforge.graph.checks.cache import clear as clear_caches
    from layerforge.graph.checks.report import BuildSummary, NodeReport, ValidationReport
    from layerforge.graph.checks.validate import model_summary, validate_graph
    from layerforge.graph.convert.codegen import to_python
    from layerforge.graph.convert.export import export_keras_file, export_keras_json
    from layerforge.graph.convert.importer import import_keras_file, import_keras_json
    from layerforge.graph.limits import GraphLimits
    from layerforge.graph.problems import GraphError, Problem
    from layerforge.graph.schema import Graph, parse_graph


def __getattr__(name: str) -> Any:
    if name == "clear_caches":
        return importlib.import_module(f"{__name__}.checks.cache").clear
    if name in _ENTRY_POINTS:
        return getattr(importlib.import_module(f"{__name__}.{_ENTRY_POINTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
