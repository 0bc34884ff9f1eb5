"""Chat with the bot from a terminal, as a citizen or as an operator, through the emulator.

Without a Telegram token the bot talks to the local emulator (emulator/server.js), where no
Telegram app can reach it; this is the app. Run `python -m tools.dev.chat citizen` (make chat) or
`python -m tools.dev.chat operator` (make operator) next to a running bot; see --help.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import threading
import time

import httpx

from komekshi.core import settings
from komekshi.core.settings import ROOT
from tools.dev.emulator import BotMessage, Button, EmulatorClient, EmulatorError, User

USAGE = """\
Type a line and press Enter to send it. Besides plain text:
  N                      press button N of the latest message that has buttons
  /r ID TEXT, #ID TEXT   reply to message ID (the number in [#ID]); an operator answers a
                         case with `/r 12 Сәлеметсіз бе…` and closes it with `/r 12 /close`
  \\TEXT                  send TEXT as it is (e.g. `\\1` sends "1", not button 1)
  Ctrl-D, Ctrl-C         quit

Settings, from the environment over .env, as for `make run`: TELEGRAM_API_URL (default the
emulator at http://127.0.0.1:$EMULATOR_PORT), TELEGRAM_BOT_TOKEN (empty: the emulator's
development token), OPERATORS_CHAT_ID (-1001), OPERATOR_IDS (1001; the operator is the first).
"""

_REPLY = re.compile(r"^(?:/r\s+#?|#)(\d+)\s+(.+)$", re.DOTALL)
_POLL_SECONDS = 25.0


def choices(message: BotMessage) -> list[Button | str]:
    """What typing 1, 2, … presses: the inline buttons, else a reply keyboard's texts."""
    return [*message.buttons] or [text for row in message.keyboard for text in row]


def render(message: BotMessage) -> str:
    """How a bot message looks in the terminal, its buttons numbered from 1."""
    head = f"[#{message.message_id}{' edited' if message.edited else ''}] bot"
    if message.reply_to_message_id is not None:
        head += f" (reply to #{message.reply_to_message_id})"
    lines = [f"{head}:", textwrap.indent(message.text, "  ")]
    labels = [c if isinstance(c, str) else c.text for c in choices(message)]
    if labels:
        lines.append("  " + "   ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)))
    return "\n".join(lines)


class Chat:
    """One user in one chat: sends what is typed, prints what the bot sends."""

    def __init__(self, url: str, token: str, chat_id: int, user: User) -> None:
        self.url = url
        self.token = token
        self.chat_id = chat_id
        self.user = user
        self._client = EmulatorClient(url, token)
        self._lock = threading.Lock()
        # The buttons a typed number presses: the latest message's that had any.
        self._message: BotMessage | None = None
        self._choices: list[Button | str] = []

    def watch(self) -> None:
        """Print the bot's messages as they come (runs in a daemon thread, one poll at a time)."""
        client = EmulatorClient(self.url, self.token)
        failing = False
        while True:
            try:
                messages = client.bot_messages(self.chat_id, timeout=_POLL_SECONDS)
            except (httpx.HTTPError, EmulatorError) as error:
                if not failing:
                    print(f"! emulator unreachable at {self.url}: {error}", flush=True)
                failing = True
                time.sleep(1.0)
                continue
            failing = False
            for message in messages:
                self._show(message)

    def _show(self, message: BotMessage) -> None:
        buttons = choices(message)
        with self._lock:
            if buttons:
                self._message, self._choices = message, buttons
            elif (
                message.edited and self._message and self._message.message_id == message.message_id
            ):
                self._message, self._choices = None, []
        print(render(message), flush=True)

    def handle(self, line: str) -> None:
        """Act on one typed line (see USAGE)."""
        if not line.strip():
            return
        if line.startswith("\\"):
            self._client.send_message(self.chat_id, self.user, line[1:])
        elif reply := _REPLY.match(line):
            self._client.send_message(
                self.chat_id, self.user, reply.group(2), reply_to_message_id=int(reply.group(1))
            )
        elif line.strip().isdigit() and self._choices:
            self._press(int(line))
        else:
            self._client.send_message(self.chat_id, self.user, line)

    def _press(self, number: int) -> None:
        with self._lock:
            message, options = self._message, self._choices
        if message is None or not 1 <= number <= len(options):
            print(f"! no button {number}", flush=True)
            return
        choice = options[number - 1]
        if isinstance(choice, str):  # a reply keyboard button sends its text
            self._client.send_message(self.chat_id, self.user, choice)
        elif choice.callback_data is not None:
            self._client.press_button(
                self.chat_id, self.user, message.message_id, choice.callback_data
            )
        else:
            print(f"! button {number} opens {choice.url}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.dev.chat",
        description="Chat with the bot through the local Telegram emulator.",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "role",
        choices=["citizen", "operator"],
        help="citizen: a private chat with the bot; operator: the operators' group chat",
    )
    parser.add_argument("--user-id", type=int, help="default 5001, or an operator's first id")
    parser.add_argument("--name", help="first name shown to the bot")
    parser.add_argument("--username", help="Telegram @username, without @")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    environ = {**settings.read_dotenv(ROOT / ".env"), **os.environ}
    config = settings.load(environ)
    url = config.bot_api_url
    if url == settings.TELEGRAM_CLOUD:
        print("devchat talks to the local emulator: unset TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 2
    if args.role == "citizen":
        user = User(args.user_id or 5001, args.name or "Citizen", args.username)
        chat_id = user.id
    else:
        listed = environ.get("OPERATOR_IDS", "").split(",")[0].strip()
        first_operator = int(listed) if listed else min(config.operator_ids)
        user = User(args.user_id or first_operator, args.name or "Operator", args.username)
        chat_id = config.operators_chat_id
    chat = Chat(url, config.bot_token, chat_id, user)
    print(
        f"{args.role} {user.first_name} (user {user.id}) in chat {chat_id} at {url}. "
        "Ctrl-D quits; --help explains replies and buttons.",
        flush=True,
    )
    threading.Thread(target=chat.watch, daemon=True).start()
    try:
        for line in sys.stdin:
            try:
                chat.handle(line.rstrip("\n"))
            except (httpx.HTTPError, EmulatorError) as error:
                print(f"! not sent: {error}", flush=True)
    except KeyboardInterrupt:
        pass
    print("bye", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
