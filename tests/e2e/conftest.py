"""The whole product, started as `make run` starts it, driven through the Bot API emulator.

Redis is the stack's own embedded one (append-only persistence, as in `make run`), so that a
test can restart it; the operators' working hours are a file the tests rewrite. Rasa's HTTP
API needs the stack's generated token (`rasa_api`); the per-citizen rate limit is the
default one (20 messages a minute), so every test plays each citizen with a new user id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from komekshi.core.language import Lang
from komekshi.core.settings import DEV_TOKEN
from komekshi.desk.hours import WEEKDAYS
from komekshi.knowledge import responses
from tests.conftest import MODEL
from tools.dev.emulator import BotMessage, EmulatorClient, User
from tools.dev.stack import Stack, free_port

OPERATORS_CHAT = -1001
OPERATOR_IDS = (1001, 1002)
OPERATOR = User(1001, "Асель")
COLLEAGUE = User(1002, "Марат")
WAIT = 30.0
_CASE = re.compile(r"#(\d+)")
TEXTS = responses.load()


def said(response: str, language: Lang, **values: object) -> str:
    """What the bot says by itself (content/messages/), in one language."""
    return responses.text(TEXTS, response, language, **values)


def working_hours(open_now: bool) -> dict[str, object]:
    """operators.yml content: open all day every day, or closed today and tomorrow."""
    today = dt.datetime.now(ZoneInfo("Asia/Almaty")).date()
    return {
        "timezone": "Asia/Almaty",
        "hours": {day: ["00:00-24:00"] for day in WEEKDAYS},
        "holidays": [] if open_now else [today, today + dt.timedelta(days=1)],
    }


class Hours:
    """The working-hours file of the running bridge, which rereads it when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, *, open_now: bool) -> None:
        self.path.write_text(yaml.safe_dump(working_hours(open_now)), encoding="utf-8")


@pytest.fixture(scope="session")
def hours_file(tmp_path_factory: pytest.TempPathFactory) -> Hours:
    hours = Hours(tmp_path_factory.mktemp("hours") / "operators.yml")
    hours.set(open_now=True)
    return hours


@pytest.fixture(scope="session")
def stack(hours_file: Hours, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": "",
        "EMULATOR_PORT": str(free_port()),
        "OPERATORS_CHAT_ID": str(OPERATORS_CHAT),
        "OPERATOR_IDS": ",".join(map(str, OPERATOR_IDS)),
        "OPERATOR_LANGUAGE": "ru",
        "OPERATORS_CONFIG": str(hours_file.path),
        "METRICS_PORT": str(free_port()),
        "REDIS_URL": "",
        "EMBEDDED_REDIS_PORT": str(free_port()),
        "RASA_URL": f"http://localhost:{free_port()}",
        "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
    }
    run_dir: Path = tmp_path_factory.mktemp("stack")
    with Stack(environ, MODEL, run_dir) as running:
        yield running


@pytest.fixture
def hours(hours_file: Hours) -> Iterator[Hours]:
    """Working hours a test may change; open again afterwards."""
    yield hours_file
    hours_file.set(open_now=True)


@pytest.fixture
def telegram(stack: Stack) -> Iterator[EmulatorClient]:
    """A Telegram client for playing citizens and operators against the running bot.

    Faults a test injects into the emulator are cleared after it.
    """
    with EmulatorClient(stack.config.bot_api_url, DEV_TOKEN) as client:
        yield client
        client.clear_faults()


@pytest.fixture
def rasa_api(stack: Stack) -> Iterator[httpx.Client]:
    """Rasa's HTTP API, with the stack's token."""
    with httpx.Client(
        base_url=stack.config.rasa_url, params={"token": stack.rasa_token}, timeout=30
    ) as client:
        yield client


def user_turns(rasa_api: httpx.Client, chat_id: int) -> list[str]:
    """What Rasa heard from a citizen: the texts of the user events of their conversation."""
    tracker = rasa_api.get(f"/conversations/tg-{chat_id}/tracker", params={"include_events": "ALL"})
    tracker.raise_for_status()
    return [
        event.get("text") or "" for event in tracker.json()["events"] if event["event"] == "user"
    ]


class OperatorsChat:
    """The operators' group as its members see it: each message as last edited."""

    def __init__(self, client: EmulatorClient) -> None:
        self.client = client
        self.latest: dict[int, BotMessage] = {}

    def _pull(self, timeout: float) -> None:
        for message in self.client.bot_messages(OPERATORS_CHAT, timeout=timeout):
            self.latest[message.message_id] = message

    def wait(self, predicate: Callable[[BotMessage], bool], timeout: float = WAIT) -> BotMessage:
        """The newest message that is, or becomes, what `predicate` looks for."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.latest.values() if predicate(m)]
            if found:
                return max(found, key=lambda m: m.message_id)
            left = deadline - time.monotonic()
            if left <= 0:
                shown = "\n---\n".join(m.text for m in list(self.latest.values())[-5:])
                raise TimeoutError(f"no such message in the operators' chat; last ones:\n{shown}")
            self._pull(min(left, 5.0))

    def absent(self, predicate: Callable[[BotMessage], bool], seconds: float = 2.0) -> None:
        """Nothing `predicate` looks for comes within `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._pull(left)
        assert not [m.text for m in self.latest.values() if predicate(m)]

    def card(self, first_name: str) -> tuple[int, BotMessage]:
        """The case number and card of a citizen's open case (first names are unique)."""
        card = self.wait(
            lambda m: m.text.startswith("🆕 Обращение #") and f"Гражданин: {first_name}\n" in m.text
        )
        match = _CASE.search(card.text)
        assert match
        return int(match.group(1)), card

    def card_of(self, case_id: int, contains: str) -> BotMessage:
        """The case's card once it shows `contains`."""
        return self.wait(
            lambda m: m.text.startswith(f"🆕 Обращение #{case_id}\n") and contains in m.text
        )


@pytest.fixture(scope="session")
def operators(stack: Stack) -> Iterator[OperatorsChat]:
    with EmulatorClient(stack.config.bot_api_url, DEV_TOKEN) as client:
        yield OperatorsChat(client)


def ask(telegram: EmulatorClient, citizen: User, text: str, count: int = 1) -> list[BotMessage]:
    """A citizen writes, and the bot's next `count` messages to them."""
    telegram.send_message(citizen.id, citizen, text)
    return telegram.wait_bot_messages(citizen.id, count=count, timeout=WAIT)
