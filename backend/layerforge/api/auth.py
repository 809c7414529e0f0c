"""Who is calling: every REST call and WebSocket is attributed to a person.

A person is one of:
- a user of `layerforge users add` (their own token, stored hashed);
- `admin`, for the single `LAYERFORGE_TOKEN`;
- `local`, an implicit admin, when the server is bound to loopback with no token
  configured and no users: the one-machine mode needs no token.

The access guard (api/security.py) resolves the person once per request and keeps it in
the request's state; routes take it with `person: CurrentPerson`.
"""

from __future__ import annotations

import hmac
import ipaddress
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from layerforge.api.errors import problem, problems_body
from layerforge.settings import Settings
from layerforge.store import users
from layerforge.store.db import database_url, session_scope, sessions_for


@dataclass(frozen=True)
class Person:
    name: str
    admin: bool
    user_id: str | None = None


ADMIN = Person("admin", admin=True)
LOCAL = Person("local", admin=True)


def is_loopback(host: str | None) -> bool:
    """True for `localhost` and loopback addresses (brackets around IPv6 allowed)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class People:
    """Resolves tokens and tickets to people, against the settings and the store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._sessions: sessionmaker[Session] | None = None

    def _session(self) -> AbstractContextManager[Session]:
        if self._sessions is None:
            self._sessions = sessions_for(database_url(self.settings))
        return session_scope(self._sessions)

    def by_token(self, token: str) -> Person | None:
        configured = self.settings.token
        if configured and hmac.compare_digest(token.encode(), configured.encode()):
            return ADMIN
        with self._session() as session:
            user = users.user_by_token(session, token)
            return Person(user.name, user.admin, user.id) if user else None

    def has_users(self) -> bool:
        with self._session() as session:
            return users.has_active_users(session)

    def anonymous(self) -> Person | None:
        """The person a call without credentials is: `local` in the one-machine mode
        (loopback, no token configured, no users), else nobody."""
        if self.settings.token or not is_loopback(self.settings.host):
            return None
        return None if self.has_users() else LOCAL

    def issue_ticket(self, person: Person) -> str:
        with self._session() as session:
            return users.issue_ticket(
                session, person.name, person.admin, person.user_id, self.settings.ticket_ttl_s
            )

    def redeem_ticket(self, ticket: str) -> Person | None:
        with self._session() as session:
            found = users.redeem_ticket(session, ticket)
            return Person(*found) if found else None


def current_person(request: Request) -> Person:
    person = getattr(request.state, "person", None)
    if not isinstance(person, Person):  # only on the public paths, which do not ask for one
        raise HTTPException(401, problems_body([problem("unauthorized", "Who is calling?")]))
    return person


CurrentPerson = Annotated[Person, Depends(current_person)]


def require_owner(person: Person, owner: str | None, what: str, action: str) -> None:
    """403 unless `person` made the thing (its `owner`) or is an admin."""
    if person.admin or (owner is not None and owner == person.name):
        return
    whose = f"belongs to {owner!r}" if owner else "was made before owners were recorded"
    message = f"{what} {whose}; only its owner or an admin may {action} it."
    raise HTTPException(403, problems_body([problem("forbidden", message)]))
