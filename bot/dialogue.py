"""Client of the Rasa server's REST channel, as the Telegram bridge uses it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Rasa answers in tens of milliseconds; a turn that calls the action server and searches the
# register stays well under this. Past it, the citizen is told to try again.
TIMEOUT_SECONDS = 30.0
# A refused connection (Rasa restarting) is retried: the message never reached Rasa. Any
# other failure is not, because Rasa may already have acted on the message.
ATTEMPTS = 3


class DialogueUnavailable(RuntimeError):
    """Rasa could not be reached or failed; the bridge apologises to the citizen."""


class DialogueClient:
    """Sends a citizen's message to Rasa and returns the replies with their payload."""

    def __init__(self, rasa_url: str) -> None:
        self.webhook = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self.http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The replies to a message; `metadata` reaches the NLU pipeline (a chosen language)."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self.http.post(self.webhook, json=body)
                response.raise_for_status()
                replies: list[dict[str, Any]] = response.json()
                return replies
            except httpx.ConnectError as error:
                log.warning("Rasa unreachable (attempt %d) for %s: %r", attempt, sender, error)
                if attempt < ATTEMPTS:
                    await asyncio.sleep(attempt)
            except (httpx.HTTPError, ValueError) as error:
                raise DialogueUnavailable(f"Rasa failed: {error!r}") from error
        raise DialogueUnavailable(f"Rasa at {self.webhook} is unreachable")

    async def close(self) -> None:
        await self.http.aclose()
