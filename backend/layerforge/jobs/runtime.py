"""Starts and stops the training runtime (scheduler, event log) with the API."""

from __future__ import annotations

from layerforge.settings import Settings


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass
