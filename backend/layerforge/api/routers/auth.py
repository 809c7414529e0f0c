"""Who am I, and tickets for WebSockets (a browser cannot send headers on a socket).

The editor asks `POST /api/auth/ticket` right before each socket it opens, then opens
`/api/runs/{id}/stream?ticket=...`; the ticket is good for one socket within
`settings.ticket_ttl_s` seconds, on any API replica (it lives in the database).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from layerforge.api.auth import CurrentPerson, People
from layerforge.api.deps import app_settings
from layerforge.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


class Me(BaseModel):
    name: str = Field(description="`admin` for LAYERFORGE_TOKEN, `local` on a lone machine.")
    admin: bool = Field(description="Admins may cancel and delete everyone's runs and graphs.")


class Ticket(BaseModel):
    ticket: str = Field(description="Open one WebSocket with `?ticket=<ticket>`.")
    expires_in: float = Field(description="Seconds it stays valid; it is single use.")


@router.get("/me", response_model=Me)
def whoami(person: CurrentPerson) -> Me:
    """The person this call is attributed to."""
    return Me(name=person.name, admin=person.admin)


@router.post("/ticket", response_model=Ticket, status_code=201)
async def socket_ticket(
    person: CurrentPerson, settings: Settings = Depends(app_settings)
) -> Ticket:
    """A short-lived, single-use ticket to open a WebSocket as this person."""
    ticket = await run_in_threadpool(People(settings).issue_ticket, person)
    return Ticket(ticket=ticket, expires_in=settings.ticket_ttl_s)
