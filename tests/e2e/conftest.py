"""The whole product, started as `make run` starts it, driven through the Bot API emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import EmulatorClient
from bot.settings import DEV_TOKEN
from bot.stack import Stack, free_port
from tests.conftest import MODEL

OPERATORS_CHAT = -1001
OPERATOR_IDS = (1001, 1002)


@pytest.fixture(scope="session")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
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
        "REDIS_URL": redis_url,
        "RASA_URL": f"http://localhost:{free_port()}",
        "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
    }
    run_dir: Path = tmp_path_factory.mktemp("stack")
    with Stack(environ, MODEL, run_dir) as running:
        yield running


@pytest.fixture
def telegram(stack: Stack) -> Iterator[EmulatorClient]:
    """A Telegram client for playing citizens and operators against the running bot."""
    with EmulatorClient(stack.config.bot_api_url, DEV_TOKEN) as client:
        yield client
