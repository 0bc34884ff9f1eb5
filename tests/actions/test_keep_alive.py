"""The action server keeps idle connections longer than Rasa's client does (actions/)."""

from __future__ import annotations

import pytest
from sanic import Sanic

from actions import KEEP_ALIVE_SECONDS, keep_connections_longer_than_rasa


@pytest.fixture
def app() -> Sanic:
    Sanic.test_mode = True
    return Sanic("komekshi_keep_alive_test")


def test_the_action_server_outlasts_rasas_idle_connections(app: Sanic) -> None:
    assert app.config.KEEP_ALIVE_TIMEOUT < 15  # aiohttp's idle keep-alive, Rasa's client
    keep_connections_longer_than_rasa(app.name)
    assert app.config.KEEP_ALIVE_TIMEOUT == KEEP_ALIVE_SECONDS > 15


def test_an_explicit_setting_wins(app: Sanic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANIC_KEEP_ALIVE_TIMEOUT", "30")
    before = app.config.KEEP_ALIVE_TIMEOUT
    keep_connections_longer_than_rasa(app.name)
    after = app.config.KEEP_ALIVE_TIMEOUT
    assert after == before


def test_outside_the_action_server_nothing_happens() -> None:
    keep_connections_longer_than_rasa("no_such_app")
