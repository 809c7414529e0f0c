"""A shared server's first admin, made once and kept.

Beyond loopback with no `LAYERFORGE_TOKEN`, someone must be able to sign in. The first
start (nobody in the store) adds the admin person `admin` and prints its token once,
with a link to the editor that a person can open; the store keeps only the token's hash,
so the token survives restarts (`docker compose restart api`). Later starts print how to
add people and reset a lost token, never a token.
"""

from __future__ import annotations

import sys

from sqlalchemy.exc import IntegrityError

from layerforge.api.auth import is_loopback
from layerforge.settings import Settings
from layerforge.store import users
from layerforge.store.db import database_url, session_scope, sessions_for

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})
HOW_TO = (
    "Add people with `layerforge users add NAME [--admin]` (each gets a token); a lost "
    "token: `layerforge users reset-token NAME`. With docker compose: "
    "`docker compose exec api layerforge users ...`."
)


def editor_url(settings: Settings) -> str:
    """The editor's address as a person can open it: 127.0.0.1 for a wildcard bind."""
    host = "127.0.0.1" if settings.host in WILDCARD_HOSTS else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


def ensure_first_admin(settings: Settings) -> None:
    """Make the first admin and print its token once (see the module's docstring); a
    loopback server, or one with `LAYERFORGE_TOKEN`, needs none."""
    if settings.token or is_loopback(settings.host):
        return
    try:
        with session_scope(sessions_for(database_url(settings))) as session:
            made = users.add_first_admin(session)
    except IntegrityError:  # another replica made it at the same moment
        made = None
    if made is None:
        say(f"Layerforge: people sign in with their own tokens. {HOW_TO}")
        return
    _, token = made
    say(
        "Layerforge: nobody could sign in yet, so this first start added the admin person "
        "'admin'. Its token, shown only now (keep it; the server stores only its hash):\n"
        f"    {token}\n"
        "Open the editor at\n"
        f"    {editor_url(settings)}?token={token}\n"
        f"{HOW_TO}"
    )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
