"""`layerforge users add|list|revoke|reset-token`: people on a shared server, each with a
token.

The token is printed once, alone on the last line of `add` and `reset-token` (so a script
can take it with `tail -n1`); the database keeps only its hash. The commands act on the settings'
database (LAYERFORGE_DATABASE_URL, else the SQLite file under LAYERFORGE_DATA_DIR) and
upgrade its schema first, as the server does.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layerforge.store import users
from layerforge.store.db import session_scope
from layerforge.store.runs import iso

users_app = typer.Typer(no_args_is_help=True, help="People with their own tokens.")
out = Console()
err = Console(stderr=True)


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="The person's name (letters, digits, . _ @ -)."),
    admin: bool = typer.Option(False, "--admin", help="May cancel and delete anything."),
) -> None:
    """Add a person and print their token (once: it is stored hashed)."""
    try:
        with session_scope() as session:
            user, token = users.add_user(session, name, admin)
            role = "admin" if user.admin else "user"
    except users.BadName as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc
    err.print(f"Added {role} {name!r}. Their token (shown only now):", highlight=False)
    print(token, flush=True)


@users_app.command("list")
def list_() -> None:
    """Everyone, with their role and when they were added or revoked."""
    table = Table("Name", "Admin", "Created", "Revoked")
    with session_scope() as session:
        for user in users.list_users(session):
            table.add_row(
                user.name,
                "yes" if user.admin else "no",
                iso(user.created_at) or "",
                iso(user.revoked_at) or "",
            )
    out.print(table)


@users_app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The person whose token to revoke.")) -> None:
    """Revoke a person's token at once (their runs and graphs stay)."""
    with session_scope() as session:
        user = users.revoke_user(session, name)
    if user is None:
        err.print(f"[red]error:[/red] no user named {escape(repr(name))}", highlight=False)
        raise typer.Exit(1)
    err.print(f"Revoked {name!r}.", highlight=False)


@users_app.command("reset-token")
def reset_token(name: str = typer.Argument(..., help="The person whose token to replace.")) -> None:
    """Give a person a new token (the old one stops working at once) and print it once:
    for a lost token, the first admin's (`admin`) included."""
    with session_scope() as session:
        token = users.reset_token(session, name)
    if token is None:
        err.print(
            f"[red]error:[/red] no active user named {escape(repr(name))} "
            "(`layerforge users list` shows everyone; a revoked person is added again "
            "under a new name)",
            highlight=False,
        )
        raise typer.Exit(1)
    err.print(f"New token for {name!r} (shown only now; the old one no longer works):")
    print(token, flush=True)
