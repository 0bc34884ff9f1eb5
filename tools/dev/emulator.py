"""Play Telegram users against the local Bot API emulator (emulator/server.js).

Telegram is out of reach on development machines and in CI, so the bot talks to the emulator
instead, and tests and `python -m tools.dev.chat` act as citizens and operators through the
emulator's client API: send a message or an attachment (photo, document, voice, sticker;
optionally as a reply), press an inline button, read what the bot sent to a chat, and make
Telegram fail the bot's next calls (flood control, outages, refusals). `AsyncEmulatorClient`
makes those calls; `EmulatorClient` is the same client for code that blocks, each call run on
an event loop of its own. `EmulatorProcess` runs the emulator for a test.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import IO, Any, Concatenate, Literal, ParamSpec, TypeVar

import httpx

from komekshi.core.settings import ROOT

log = logging.getLogger(__name__)

SERVER_JS = ROOT / "emulator" / "server.js"

# httpx's own connection pool, unless told otherwise.
POOL = httpx.Limits(max_connections=100, max_keepalive_connections=20)

P = ParamSpec("P")
R = TypeVar("R")

_READY = re.compile(r"emulator listening on (\S+)")

# What a user can send besides text (the emulator fills in file ids and sizes).
Attachment = Literal["photo", "document", "voice", "sticker"]
ATTACHMENTS: tuple[Attachment, ...] = ("photo", "document", "voice", "sticker")


class EmulatorError(RuntimeError):
    """The emulator refused a request (unknown message, button the message does not have…)."""


@dataclass(frozen=True)
class User:
    """A Telegram user the client API acts as."""

    id: int
    first_name: str
    username: str | None = None

    def as_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "first_name": self.first_name, "is_bot": False}
        if self.username:
            user["username"] = self.username
        return user


@dataclass(frozen=True)
class Button:
    """One inline button: it either carries callback_data for the bot or opens a URL."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent to a chat, as the user's app would show it."""

    message_id: int
    chat_id: int
    text: str
    edited: bool
    reply_to_message_id: int | None
    inline_keyboard: tuple[tuple[Button, ...], ...]
    # Texts of a reply keyboard (the buttons that send their text as a message).
    keyboard: tuple[tuple[str, ...], ...]
    raw: dict[str, Any]
    # The attachment the message carries (a copy of a user's one), its file id and caption.
    attachment: Attachment | None = None
    file_id: str | None = None
    caption: str = ""
    # Set only when the bot asked Telegram to format the text (HTML, Markdown).
    parse_mode: str | None = None

    @property
    def buttons(self) -> list[Button]:
        return [button for row in self.inline_keyboard for button in row]

    @classmethod
    def from_api(cls, message: dict[str, Any]) -> BotMessage:
        markup = message.get("reply_markup") or {}
        replied = message.get("reply_to_message")
        attachment = next((kind for kind in ATTACHMENTS if message.get(kind)), None)
        file: Any = message.get(attachment) if attachment else None
        if isinstance(file, list):  # a photo comes in several sizes, the largest last
            file = file[-1]
        return cls(
            message_id=message["message_id"],
            chat_id=message["chat"]["id"],
            text=message.get("text") or "",
            edited="edit_date" in message,
            reply_to_message_id=replied["message_id"] if replied else None,
            inline_keyboard=tuple(
                tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for b in row)
                for row in markup.get("inline_keyboard", [])
            ),
            keyboard=tuple(
                tuple(b if isinstance(b, str) else b["text"] for b in row)
                for row in markup.get("keyboard", [])
            ),
            raw=message,
            attachment=attachment,
            file_id=file.get("file_id") if isinstance(file, dict) else None,
            caption=message.get("caption") or "",
            parse_mode=message.get("parse_mode"),
        )


def _result(response: httpx.Response) -> Any:
    body = response.json()
    if not body.get("ok"):
        raise EmulatorError(body.get("description") or body.get("message") or response.text)
    return body["result"]


@dataclass(frozen=True)
class FaultHit:
    """A call of the bot that met an injected fault, and when (seconds since the epoch)."""

    method: str
    chat_id: int | None
    status: int
    at: float


class AsyncEmulatorClient:
    """Asyncio client, for tests that run the bot in their own event loop and for the load
    benchmark (`limits`: its connection pool; `timeout`: of a request, in seconds)."""

    def __init__(
        self, url: str, token: str, limits: httpx.Limits = POOL, timeout: float = 10.0
    ) -> None:
        self.token = token
        self.timeout = timeout
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout, limits=limits)

    async def __aenter__(self) -> AsyncEmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send_message(
        self, chat_id: int, user: User, text: str, reply_to_message_id: int | None = None
    ) -> int:
        """Send `text` as `user` in `chat_id`; return the new message's id."""
        return await self._send(chat_id, user, {"text": text}, reply_to_message_id)

    async def send_attachment(
        self,
        chat_id: int,
        user: User,
        kind: Attachment,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """Send a photo, document, voice message or sticker as `user`; return its message id."""
        content: dict[str, Any] = {kind: True}
        if caption is not None:
            content["caption"] = caption
        return await self._send(chat_id, user, content, reply_to_message_id)

    async def _send(
        self, chat_id: int, user: User, content: dict[str, Any], reply_to_message_id: int | None
    ) -> int:
        """A message from `user`, its text or attachment in `content`; its message id."""
        body = {"botToken": self.token, "from": user.as_api(), "chat": {"id": chat_id}, **content}
        if reply_to_message_id is not None:
            body["reply_to_message_id"] = reply_to_message_id
        update = _result(await self._http.post("/sendMessage", json=body))
        return int(update["message"]["message_id"])

    async def add_fault(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `count` calls of Bot API `method` (to `chat_id`) fail with `status`."""
        body: dict[str, Any] = {"method": method, "status": status, "count": count}
        given = {"retry_after": retry_after, "chat_id": chat_id, "description": description}
        body.update({name: value for name, value in given.items() if value is not None})
        _result(await self._http.post("/faults", json=body))

    async def fault_hits(self) -> list[FaultHit]:
        """The calls that met an injected fault, oldest first."""
        result = _result(await self._http.get("/faults"))
        return [
            FaultHit(hit["method"], hit.get("chat_id"), int(hit["status"]), hit["at"] / 1000)
            for hit in result["hits"]
        ]

    async def clear_faults(self) -> None:
        _result(await self._http.delete("/faults"))

    async def press_button(
        self, chat_id: int, user: User, message_id: int, callback_data: str
    ) -> str:
        """Press the inline button with `callback_data`; return the callback query's id."""
        body = {
            "botToken": self.token,
            "from": user.as_api(),
            "chat_id": chat_id,
            "message_id": message_id,
            "data": callback_data,
        }
        update = _result(await self._http.post("/sendCallback", json=body))
        return str(update["callback_query"]["id"])

    async def bot_messages(self, chat_id: int, timeout: float = 0.0) -> list[BotMessage]:
        """The bot's messages to `chat_id` not read before (edited ones come again).

        Waits up to `timeout` seconds for the first one; returns [] if none came.
        """
        body = {"token": self.token, "chatId": chat_id, "timeout": timeout}
        # A long poll: its answer may take `timeout` seconds to come.
        waiting = httpx.Timeout(self.timeout, read=timeout + self.timeout)
        response = await self._http.post("/getBotMessages", json=body, timeout=waiting)
        return [BotMessage.from_api(message) for message in _result(response)]

    async def wait_bot_messages(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[BotMessage]:
        """At least `count` new bot messages to `chat_id`, or TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        messages: list[BotMessage] = []
        while len(messages) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(messages)}/{count} bot messages to chat {chat_id}")
            messages += await self.bot_messages(chat_id, timeout=left)
        return messages


def _blocking(
    method: Callable[Concatenate[AsyncEmulatorClient, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[EmulatorClient, P], R]:
    """A method of the asyncio client, run to its end on the blocking client's own loop."""

    def call(self: EmulatorClient, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._loop.run_until_complete(method(self._client, *args, **kwargs))

    call.__doc__ = method.__doc__
    return call


class EmulatorClient:
    """Blocking client, for terminal clients and tests whose bot runs in another process: the
    asyncio client, each call run to its end on an event loop of this client's own. Use it
    from one thread and never inside a running event loop (there, use AsyncEmulatorClient).

    `token` is the bot's: the emulator keeps each bot's chats apart by it.
    """

    def __init__(self, url: str, token: str) -> None:
        self.token = token
        self._loop = asyncio.new_event_loop()
        self._client = AsyncEmulatorClient(url, token)

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    send_message = _blocking(AsyncEmulatorClient.send_message)
    send_attachment = _blocking(AsyncEmulatorClient.send_attachment)
    add_fault = _blocking(AsyncEmulatorClient.add_fault)
    fault_hits = _blocking(AsyncEmulatorClient.fault_hits)
    clear_faults = _blocking(AsyncEmulatorClient.clear_faults)
    press_button = _blocking(AsyncEmulatorClient.press_button)
    bot_messages = _blocking(AsyncEmulatorClient.bot_messages)
    wait_bot_messages = _blocking(AsyncEmulatorClient.wait_bot_messages)


def _drain(output: IO[str], lines: queue.Queue[str | None]) -> None:
    """Hand Node's output to EmulatorProcess.start() and the log, so the pipe never fills."""
    for line in output:
        lines.put(line)
        log.debug("emulator: %s", line.rstrip())
    lines.put(None)


class EmulatorProcess:
    """Runs `node emulator/server.js` on a free port for as long as the `with` block lasts."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 15.0
    ) -> None:
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start the emulator and return its base URL once it listens."""
        if not (SERVER_JS.parent / "node_modules").is_dir():
            raise RuntimeError(f"emulator not installed: run `npm ci` in {SERVER_JS.parent}")
        env = {**os.environ, "EMULATOR_HOST": self.host, "EMULATOR_PORT": str(self.port)}
        self._process = subprocess.Popen(
            ["node", str(SERVER_JS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self._process.stdout is not None
        threading.Thread(target=_drain, args=(self._process.stdout, lines), daemon=True).start()
        output: list[str] = []
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError("emulator did not start:\n" + "".join(output))
            output.append(line)
            if ready := _READY.search(line):
                self.url = ready.group(1)
                return self.url

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
