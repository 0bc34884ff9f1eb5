"""Rasa's Redis lock store, safe when several Rasa servers (or Sanic workers) share Redis.

Rasa handles a conversation's messages one at a time, in the order they arrived, by a ticket
lock per conversation kept in Redis: each message takes the next ticket and waits until its
number is the first one left. Rasa 3.6's `RedisLockStore` changes that lock by reading it,
changing it in Python and writing the whole lock back: harmless in one process, whose event
loop does the three steps without interruption, but with two servers a write overwrites the
other's ticket. Measured with two processes sending 20 concurrent messages each for one
conversation: 32 of the 40 failed with "Could not acquire lock" and 4 times two messages
were handled at once (see tests/komekshi/rasa_server/test_lock_store.py, which shows none of
that here).

`AtomicRedisLockStore` keeps Rasa's tickets and their order, and makes every change of the
lock one Redis transaction (WATCH/MULTI/EXEC, retried when another server changed the lock
meanwhile). A waiting message also looks again every 50 ms instead of every second, so a
citizen's quick second message waits for the first one, not for a poll.

endpoints.yml:

    lock_store:
      type: komekshi.rasa_server.lock_store.AtomicRedisLockStore
      url: <host>
      port: <port>
      ...                # everything RedisLockStore takes
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# How often a waiting message checks whether its turn came.
POLL_SECONDS = 0.05


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ticket lock in Redis, each change of it atomic across processes."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Rasa creates a custom lock store with its endpoint configuration."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(
        self, conversation_id: str, change: Callable[[TicketLock], T], create: bool = False
    ) -> T | None:
        """Apply `change` to the stored lock in one transaction (it may run more than once,
        when another process changed the lock meanwhile) and return its result.

        Without a stored lock, `change` runs on a new one if `create`, else not at all. The
        lock is saved when it changed, and deleted once no ticket is left in it.
        """
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T | None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            if lock is None and create:
                lock = TicketLock(conversation_id)
            if lock is None:
                return None
            before = raw.decode() if isinstance(raw, bytes) else raw
            result = change(lock)
            after = lock.dumps() if lock.tickets else None
            if after != before:
                pipe.multi()
                if after is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, after)
            return result

        result: T | None = self.red.transaction(attempt, key, value_from_callable=True)
        return result

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """The next ticket of the conversation's lock (a new lock for the first one)."""
        try:
            ticket = self._change(
                conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        assert ticket is not None
        return int(ticket)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets. Every waiting message calls this at each look, so it only
        reads unless a ticket did expire."""
        lock = self.get_lock(conversation_id)
        if lock and any(ticket.has_expired() for ticket in lock.tickets):
            self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the lock goes when no other message waits (one step)."""
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's lock, looking every `POLL_SECONDS` whether this message's turn came."""
        async with super().lock(
            conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS)
        ) as lock:
            yield lock
