"""Queries for people and their WebSocket tickets.

A token or ticket is a `secrets.token_urlsafe` string shown once; the store keeps only
its SHA-256, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from layerforge.store.models import SocketTicket, User, utcnow

# Names the server gives the people it knows without a users row.
RESERVED_NAMES = frozenset({"admin", "local"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")


class BadName(ValueError):
    """A name that is taken, reserved or not of letters, digits and . _ @ -."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def add_user(session: Session, name: str, admin: bool = False) -> tuple[User, str]:
    """Store a new person; returns the row and the token (shown once, kept hashed)."""
    if not _NAME.fullmatch(name):
        raise BadName(
            f"{name!r} is not a user name: 1 to 100 letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise BadName(f"{name!r} is reserved for the server's own admin and local person")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise BadName(f"a user named {name!r} exists already (revoked users keep their name)")
    token = new_secret()
    user = User(name=name, token_hash=secret_hash(token), admin=admin)
    session.add(user)
    session.flush()
    return user, token


def add_first_admin(session: Session) -> tuple[User, str] | None:
    """The server's own admin (named `admin`), made when nobody is in the store yet; None
    when someone is. Returns the row and the token (shown once, kept hashed)."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    token = new_secret()
    user = User(name="admin", token_hash=secret_hash(token), admin=True)
    session.add(user)
    session.flush()
    return user, token


def reset_token(session: Session, name: str) -> str | None:
    """A new token for the person (the old one stops working); None when there is no such
    person or they were revoked."""
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None or user.revoked_at is not None:
        return None
    token = new_secret()
    user.token_hash = secret_hash(token)
    return token


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.created_at, User.name)).all())


def revoke_user(session: Session, name: str) -> User | None:
    """Revoke a person's token (once; a second revoke keeps the first time); None when
    there is no such person."""
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is not None and user.revoked_at is None:
        user.revoked_at = utcnow()
    return user


def user_by_token(session: Session, token: str) -> User | None:
    """The person whose token this is, unless revoked."""
    return session.scalars(
        select(User).where(User.token_hash == secret_hash(token), User.revoked_at.is_(None))
    ).first()


def has_active_users(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.revoked_at.is_(None)).limit(1)) is not None


def issue_ticket(
    session: Session, person: str, admin: bool, user_id: str | None, ttl_s: float
) -> str:
    """A new ticket for `person`, valid `ttl_s` seconds; expired ones are swept here."""
    now = utcnow()
    session.execute(delete(SocketTicket).where(SocketTicket.expires_at <= now))
    ticket = new_secret()
    session.add(
        SocketTicket(
            ticket_hash=secret_hash(ticket),
            person=person,
            admin=admin,
            user_id=user_id,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    return ticket


def redeem_ticket(session: Session, ticket: str) -> tuple[str, bool, str | None] | None:
    """Use a ticket up: (person, admin, user_id), or None when it is unknown, used,
    expired, or its person was revoked since. One DELETE ... RETURNING, so two
    replicas given the same ticket at once accept it at most once."""
    row = session.execute(
        delete(SocketTicket)
        .where(SocketTicket.ticket_hash == secret_hash(ticket), SocketTicket.expires_at > utcnow())
        .returning(SocketTicket.person, SocketTicket.admin, SocketTicket.user_id)
    ).first()
    if row is None:
        return None
    person, admin, user_id = row
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or user.revoked_at is not None:
            return None
    return person, admin, user_id
