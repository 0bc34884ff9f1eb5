"""The action server's start-up: idle connections outlast Rasa's, the register loads first."""

from __future__ import annotations

import pytest
from sanic import Sanic

from komekshi.actions.server import KEEP_ALIVE_SECONDS, StartUp, prepare


@pytest.fixture
def app() -> Sanic:
    Sanic.test_mode = True
    return Sanic("komekshi_keep_alive_test")


def test_the_action_server_outlasts_rasas_idle_connections(app: Sanic) -> None:
    assert app.config.KEEP_ALIVE_TIMEOUT < 15  # aiohttp's idle keep-alive, Rasa's client
    prepare(app)
    assert app.config.KEEP_ALIVE_TIMEOUT == KEEP_ALIVE_SECONDS > 15


def test_an_explicit_setting_wins(app: Sanic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANIC_KEEP_ALIVE_TIMEOUT", "30")
    before = app.config.KEEP_ALIVE_TIMEOUT
    prepare(app)
    assert before == app.config.KEEP_ALIVE_TIMEOUT


def test_the_register_is_loaded_before_the_server_answers(app: Sanic) -> None:
    StartUp().attach_sanic_app_extensions(app)
    handlers = [route.handler.keywords["listener"] for route in app.signal_router.routes
                if route.name == "server.init.before"]  # fmt: skip
    assert [handler.__name__ for handler in handlers] == ["load_knowledge"]
