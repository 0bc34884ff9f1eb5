"""Client of the Rasa server's REST channel, as the Telegram bridge uses it.

When Rasa is down or restarting, a citizen's message is never lost, and never waits on an
open-ended promise. A refused connection means the message did not reach Rasa, so it is
safe to send again: `send` retries it a few times at once (a blip), then raises
`DialogueUnreachable`, and the bridge keeps the message in Redis
(komekshi/channel/backlog.py), tells the citizen once that it will answer as soon as it can,
and sends the kept messages in order when Rasa answers again — for up to RASA_RETRY_SECONDS
(300); past that, the citizen is asked to write again. Any other failure (an error answer, a
timeout) is not retried, because Rasa may already have acted on the message: the citizen gets
the apology at once.
"""

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


class DialogueUnreachable(DialogueUnavailable):
    """Rasa refused the connection every time: the message never reached it."""


class DialogueClient:
    """Sends a citizen's message to Rasa and returns the replies with their payload."""

    def __init__(self, rasa_url: str) -> None:
        self.webhook = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self.http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        attempts: int = ATTEMPTS,
    ) -> list[dict[str, Any]]:
        """The replies to a message; `metadata` reaches the NLU pipeline (a chosen language)."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        for attempt in range(1, attempts + 1):
            try:
                response = await self.http.post(self.webhook, json=body)
                response.raise_for_status()
                replies: list[dict[str, Any]] = response.json()
                return replies
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                log.warning("Rasa unreachable (attempt %d) for %s: %r", attempt, sender, error)
                if attempt < attempts:
                    await asyncio.sleep(attempt)
            except (httpx.HTTPError, ValueError) as error:
                raise DialogueUnavailable(f"Rasa failed: {error!r}") from error
        raise DialogueUnreachable(f"Rasa at {self.webhook} is unreachable")

    async def close(self) -> None:
        await self.http.aclose()
