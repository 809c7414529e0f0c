"""The `layerforge` command: serve the app, and check, build, export and import graphs.

Graph modules import Keras, so each command imports them when it runs: `--help` and
`serve` stay fast. A problem in a graph prints its node and parameter and exits 1; a
file that cannot be read exits 2.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layerforge.graph.problems import GraphError, Problem
from layerforge.settings import Settings, get_settings, use_keras_backend

if TYPE_CHECKING:
    from layerforge.graph.schema import Graph

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Layerforge: a visual model builder for Keras.",
)
out = Console()
err = Console(stderr=True)

GraphFile = typer.Argument(
    ..., exists=True, dir_okay=False, readable=True, help="A graph JSON file."
)


def _settings() -> Settings:
    """This process's settings, with Keras pointed at their backend."""
    settings = get_settings()
    use_keras_backend(settings)
    return settings


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _print_problems(problems: list[Problem] | list[dict[str, Any]], kind: str = "error") -> None:
    colour = "red" if kind == "error" else "yellow"
    for p in problems:
        p = p if isinstance(p, Problem) else Problem(**p)
        where = " ".join(
            f"{label}={value}" for label, value in (("node", p.node), ("param", p.param)) if value
        )
        text = escape(f"{where or 'graph'} [{p.code}]: {p.message}")
        err.print(f"[{colour}]{kind}[/{colour}] {text}", highlight=False, soft_wrap=True)


def _load_graph(path: Path) -> Graph:
    """Parse a graph file; a file that is not a graph exits 2 naming the field."""
    from layerforge.api.errors import validation_problems
    from layerforge.graph.schema import parse_graph

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read it ({exc})")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if not isinstance(data, dict):
        _fail(f"{path}: a graph file holds a JSON object")
    try:
        return parse_graph(data)
    except ValidationError as exc:
        _print_problems(validation_problems(exc.errors(include_url=False), data))
        raise typer.Exit(2) from exc
    except ValueError as exc:  # an unsupported schema_version
        _fail(f"{path}: {exc}")


def _shapes(shapes: list[Any]) -> str:
    def one(shape: Any) -> str:
        if not isinstance(shape, list):
            return str(shape)
        inner = ", ".join("None" if d is None else str(d) for d in shape)
        return f"({inner},)" if len(shape) == 1 else f"({inner})"

    return "\n".join(one(s) for s in shapes)


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to bind (default: LAYERFORGE_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default: LAYERFORGE_PORT or 8000)."),
    reload: bool = typer.Option(False, help="Restart when the sources change (development)."),
) -> None:
    """Serve the API and the editor. Beyond loopback with no token, the first start adds
    an admin person and prints its token with the editor link (once)."""
    import uvicorn

    from layerforge.api.first_admin import editor_url
    from layerforge.api.request_heads import CappedHeadProtocol
    from layerforge.settings import get_settings

    overrides = {"host": host, "port": port}
    settings = get_settings().model_copy(
        update={k: v for k, v in overrides.items() if v is not None}
    )
    _refuse_a_second_server(settings)
    # The app reads its settings from the environment (also in a --reload child).
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"LAYERFORGE_{key.upper()}"] = str(value)
    get_settings.cache_clear()
    login = "?token=<LAYERFORGE_TOKEN>" if settings.token else ""
    err.print(f"Layerforge editor: {editor_url(settings)}{login}", highlight=False)
    uvicorn.run(
        "layerforge.api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        reload_dirs=[str(Path(__file__).resolve().parent)] if reload else None,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
        http=CappedHeadProtocol,  # httptools with a cap on a request's head (431)
    )


def _refuse_a_second_server(settings: Settings) -> None:
    """Exit 1 with the holder's name when another server has this data (the app takes
    the lock again in its lifespan, before recovery; this only answers early)."""
    from layerforge.store.instance_lock import InstanceLock, InstanceLocked

    lock = InstanceLock(settings)
    try:
        lock.acquire()
    except InstanceLocked as exc:
        _fail(str(exc), code=1)
    lock.release()


@app.command()
def validate(
    file: Path = GraphFile,
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Check a graph with Keras: shapes and parameters per node, every error at once."""
    graph = _load_graph(file)
    from layerforge.graph import validate_graph

    report = validate_graph(graph, _settings().limits)
    if as_json:
        out.print_json(data=report.model_dump(mode="json"))
    else:
        table = Table("Node", "Type", "Output shape", "Params", title=file.name)
        for node in graph.nodes:
            info = report.nodes.get(node.id)
            table.add_row(
                node.id,
                node.type,
                _shapes(info.output_shapes if info else []),
                f"{info.params if info else 0:,}",
            )
        out.print(table)
        _print_problems(report.warnings, "warning")
        _print_problems(report.errors)
        if report.valid:
            out.print(
                f"valid: {report.model_type} model, {report.total_params or 0:,} parameters",
                highlight=False,
            )
    if not report.valid:
        raise typer.Exit(1)


@app.command()
def build(file: Path = GraphFile) -> None:
    """Build the Keras model and print its summary, like `model.summary()`."""
    graph = _load_graph(file)
    from layerforge.graph import model_summary

    try:
        summary = model_summary(graph, _settings().limits)
    except GraphError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(1) from exc
    table = Table(
        "Layer (type)",
        "Output Shape",
        "Param #",
        "Connected to",
        title=f"Model: {graph.name or file.stem} ({summary.model_type})",
    )
    for layer in summary.layers:
        table.add_row(
            f"{layer.name} ({layer.type})",
            _shapes(layer.output_shapes),
            f"{layer.params:,}",
            "\n".join(f"{i.node}[{i.port}]" for i in layer.inbound),
        )
    out.print(table)
    total, trainable = summary.total_params or 0, summary.trainable_params
    out.print(f" Total params: {total:,}", highlight=False)
    out.print(f" Trainable params: {trainable:,}", highlight=False)
    out.print(f" Non-trainable params: {total - trainable:,}", highlight=False)
    out.print(f" MACs per sample: {summary.total_macs or 0:,}", highlight=False)


@app.command()
def export(
    file: Path = GraphFile,
    format: str = typer.Option("python", "--format", "-f", help="python, json or keras."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Export a graph as Python source, Keras JSON or a `.keras` file."""
    if format not in ("python", "json", "keras"):
        _fail(f"--format must be python, json or keras, not {format!r}")
    if format == "keras" and output is None:
        _fail("--format keras writes a binary file: give it with -o OUT.keras")
    graph = _load_graph(file)
    from layerforge.graph import validate_graph

    report = validate_graph(graph, _settings().limits)
    if not report.valid:
        _print_problems(report.errors)
        raise typer.Exit(1)
    try:
        if format == "python":
            from layerforge.graph import to_python

            data: str | bytes = to_python(graph)
        elif format == "json":
            from layerforge.graph import export_keras_json

            data = export_keras_json(graph, _settings().limits)
        else:
            from layerforge.graph import export_keras_file

            data = export_keras_file(graph, _settings().limits)
    except GraphError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(1) from exc
    _write(data, output)


def _write(data: str | bytes, output: Path | None) -> None:
    if output is None:
        text = data if isinstance(data, str) else data.decode()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    if isinstance(data, bytes):
        output.write_bytes(data)
    else:
        output.write_text(data)
    err.print(f"wrote {output}", highlight=False)


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="Keras JSON or a .keras file."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Turn a Keras model (JSON from `model.to_json()`, or a `.keras` file) into a graph."""
    import zipfile

    from layerforge.graph import import_keras_file, import_keras_json

    try:
        if zipfile.is_zipfile(file):
            graph = import_keras_file(file, _settings().limits)
        else:
            graph = import_keras_json(file.read_text(), _settings().limits)
    except GraphError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(1) from exc
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{file}: cannot read it ({exc})")
    _write(json.dumps(graph.model_dump(mode="json"), indent=2), output)


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (the editor generates its API types from it)."""
    from layerforge.api.app import create_app
    from layerforge.settings import Settings

    document = create_app(Settings(host="127.0.0.1")).openapi()
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


# `layerforge train` lives with the training code; registered here.
from layerforge.training.cli_train import train_cmd  # noqa: E402

app.command("train")(train_cmd)

from layerforge.cli_users import users_app  # noqa: E402

app.add_typer(users_app, name="users")
from layerforge.cli_worker import worker_cmd  # noqa: E402

app.command("worker")(worker_cmd)

if __name__ == "__main__":
    app()
