"""A stand-in for python-telegram-bot's Bot, for what the emulator cannot do.

It records every call, answers like Telegram, and raises the errors a test queues for a
method, so forum topics, attachments and failed deliveries can be checked.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class Call:
    method: str
    chat_id: int | None
    text: str | None = None
    thread_id: int | None = None
    reply_to: int | None = None
    buttons: list[str] = field(default_factory=list)
    from_chat: int | None = None
    message_id: int | None = None


class FakeBot:
    """Records calls; `fail[method]` holds errors to raise on the next calls of a method."""

    def __init__(self, *, forum: bool = False, admins: tuple[int, ...] = ()) -> None:
        self.calls: list[Call] = []
        self.fail: dict[str, list[Exception]] = defaultdict(list)
        self.forum = forum
        self.admins = admins
        self._ids = itertools.count(1000)
        self._topics = itertools.count(70)

    def _maybe_fail(self, method: str) -> None:
        if self.fail[method]:
            raise self.fail[method].pop(0)

    def sent(self, chat_id: int) -> list[Call]:
        """What was sent or copied to a chat, in order."""
        return [
            c
            for c in self.calls
            if c.chat_id == chat_id and c.method in ("send_message", "copy_message")
        ]

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> SimpleNamespace:
        self._maybe_fail("send_message")
        markup = kwargs.get("reply_markup")
        reply = kwargs.get("reply_parameters")
        self.calls.append(
            Call(
                "send_message",
                chat_id,
                text,
                thread_id=kwargs.get("message_thread_id"),
                reply_to=reply.message_id if reply else None,
                buttons=[b.text for row in markup.inline_keyboard for b in row] if markup else [],
            )
        )
        return SimpleNamespace(message_id=next(self._ids))

    async def copy_message(
        self, chat_id: int, from_chat_id: int, message_id: int, **kwargs: Any
    ) -> SimpleNamespace:
        self._maybe_fail("copy_message")
        reply = kwargs.get("reply_parameters")
        self.calls.append(
            Call(
                "copy_message",
                chat_id,
                thread_id=kwargs.get("message_thread_id"),
                reply_to=reply.message_id if reply else None,
                from_chat=from_chat_id,
                message_id=message_id,
            )
        )
        return SimpleNamespace(message_id=next(self._ids))

    async def edit_message_text(
        self, text: str, chat_id: int, message_id: int, **kwargs: Any
    ) -> None:
        self.calls.append(Call("edit_message_text", chat_id, text, message_id=message_id))

    async def edit_message_reply_markup(self, chat_id: int, message_id: int, **kwargs: Any) -> None:
        self.calls.append(Call("edit_message_reply_markup", chat_id, message_id=message_id))

    async def get_chat(self, chat_id: int) -> SimpleNamespace:
        self._maybe_fail("get_chat")
        return SimpleNamespace(id=chat_id, is_forum=self.forum)

    async def get_chat_administrators(self, chat_id: int) -> list[SimpleNamespace]:
        self._maybe_fail("get_chat_administrators")
        users = [SimpleNamespace(id=a, is_bot=False) for a in self.admins]
        return [SimpleNamespace(user=user) for user in users]

    async def create_forum_topic(self, chat_id: int, name: str) -> SimpleNamespace:
        self._maybe_fail("create_forum_topic")
        thread_id = next(self._topics)
        self.calls.append(Call("create_forum_topic", chat_id, name, thread_id=thread_id))
        return SimpleNamespace(message_thread_id=thread_id)

    async def close_forum_topic(self, chat_id: int, message_thread_id: int) -> None:
        self.calls.append(Call("close_forum_topic", chat_id, thread_id=message_thread_id))

    async def answer_callback_query(self, callback_query_id: str, **kwargs: Any) -> bool:
        self.calls.append(Call("answer_callback_query", None, kwargs.get("text")))
        return True
