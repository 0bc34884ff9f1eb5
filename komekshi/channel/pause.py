"""Pause a citizen's conversation in Rasa while a person handles it, and resume it after.

The bridge does not send Rasa what a citizen writes to an operator; pausing the conversation
in Rasa's tracker (kept in Redis) makes Rasa itself stay silent too, whoever calls it, and
records in the conversation's history when a person took over and gave it back.
"""

from __future__ import annotations

import logging
from typing import Literal

import httpx

log = logging.getLogger(__name__)


def sender_id(chat_id: int) -> str:
    """The Rasa conversation id of a Telegram chat."""
    return f"tg-{chat_id}"


class RasaPause:
    """Appends `pause` and `resume` events through Rasa's HTTP API (`--enable-api`).

    The API answers only with Rasa's `--auth-token` (RASA_TOKEN), sent as `?token=`.
    """

    def __init__(self, rasa_url: str, token: str = "") -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.http = httpx.AsyncClient(timeout=10.0)

    async def pause(self, sender: str) -> bool:
        return await self._event(sender, "pause")

    async def resume(self, sender: str) -> bool:
        return await self._event(sender, "resume")

    async def _event(self, sender: str, event: Literal["pause", "resume"]) -> bool:
        """False when Rasa could not be told; the bridge tries again later."""
        url = f"{self.rasa_url}/conversations/{sender}/tracker/events"
        params = {"include_events": "NONE", **({"token": self.token} if self.token else {})}
        try:
            response = await self.http.post(url, params=params, json={"event": event})
            response.raise_for_status()
        except httpx.HTTPError as error:
            # Not the error itself: its URL would carry the token into the log.
            reason = (
                f"HTTP {error.response.status_code}"
                if isinstance(error, httpx.HTTPStatusError)
                else type(error).__name__
            )
            log.warning("Could not %s the Rasa conversation %s: %s", event, sender, reason)
            return False
        return True

    async def close(self) -> None:
        await self.http.aclose()
