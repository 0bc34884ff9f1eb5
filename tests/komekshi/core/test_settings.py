"""Settings of the reliability and security features, and their refusals."""

from __future__ import annotations

import pytest

from komekshi.core import settings


def test_defaults_keep_every_process_private_and_limited() -> None:
    config = settings.load({})
    assert not config.uses_webhook
    assert config.action_server_host == "127.0.0.1"
    assert config.telegram_webhook_listen == "127.0.0.1"
    assert (config.rate_limit_messages, config.rate_limit_seconds) == (20, 60.0)
    assert config.rasa_retry_seconds == 300.0
    assert config.rasa_token == ""


def test_webhook_mode_needs_a_secret_token() -> None:
    url = "https://bot.example.kz/telegram/updates"
    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET is required"):
        settings.load({"TELEGRAM_WEBHOOK_URL": url})
    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET is required"):
        settings.load({"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": "short"})
    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET is required"):
        settings.load({"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": "not allowed!" * 3})
    config = settings.load(
        {
            "TELEGRAM_WEBHOOK_URL": url,
            "TELEGRAM_WEBHOOK_SECRET": "a" * 32,
            "TELEGRAM_WEBHOOK_PORT": "8080",
        }
    )
    assert config.uses_webhook
    assert (config.webhook_path, config.telegram_webhook_port) == ("telegram/updates", 8080)


def test_malformed_limits_are_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="RATE_LIMIT_MESSAGES"):
        settings.load({"RATE_LIMIT_MESSAGES": "-1"})
    with pytest.raises(SystemExit, match="RASA_RETRY_SECONDS"):
        settings.load({"RASA_RETRY_SECONDS": "-5"})
    assert settings.load({"RATE_LIMIT_MESSAGES": "0"}).rate_limit_messages == 0
