"""Every setting of Kömekshi, read from the environment (defaults as in `.env.example`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from komekshi.core.language import Lang

DEV_TOKEN = "000000:komekshi-local-emulator"
TELEGRAM_CLOUD = "https://api.telegram.org"
# What Telegram accepts as a webhook's secret token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str
    telegram_api_url: str
    emulator_port: int
    operators_chat_id: int
    operator_ids: frozenset[int]
    operator_language: Lang
    operators_config: Path
    metrics_host: str
    metrics_port: int
    redis_url: str
    embedded_redis_port: int
    rasa_url: str
    action_server_url: str
    embedding_model: Path
    log_level: str
    # Webhook mode (empty URL: long polling). Telegram posts updates to the URL with the
    # secret in the X-Telegram-Bot-Api-Secret-Token header; the bridge listens on
    # LISTEN:PORT behind the TLS proxy that serves the URL.
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    # Token of Rasa's HTTP API (`--auth-token`); `make run` generates one when empty.
    rasa_token: str = ""
    # How long a citizen's message waits for Rasa while it is unreachable
    # (komekshi/channel/backlog.py).
    rasa_retry_seconds: float = 300.0
    # Where the action server listens: only this machine unless told otherwise.
    action_server_host: str = "127.0.0.1"
    # Per-citizen rate limit: at most this many messages in any window of this many
    # seconds (0 turns it off); operators are not limited.
    rate_limit_messages: int = 20
    rate_limit_seconds: float = 60.0

    @property
    def uses_emulator(self) -> bool:
        """No token: run against the local Bot API emulator instead of Telegram."""
        return not self.telegram_bot_token or self.telegram_bot_token == DEV_TOKEN

    @property
    def bot_token(self) -> str:
        return self.telegram_bot_token or DEV_TOKEN

    @property
    def bot_api_url(self) -> str:
        if self.telegram_api_url:
            return self.telegram_api_url.rstrip("/")
        if self.uses_emulator:
            return f"http://127.0.0.1:{self.emulator_port}"
        return TELEGRAM_CLOUD

    @property
    def uses_webhook(self) -> bool:
        """TELEGRAM_WEBHOOK_URL set: Telegram posts updates to the bridge instead of polling."""
        return bool(self.telegram_webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path the bridge's webhook server answers on (the URL's, without the slash)."""
        return urlparse(self.telegram_webhook_url).path.strip("/")

    @property
    def resolved_redis_url(self) -> str:
        """REDIS_URL, or the embedded Redis that `make run` starts when it is empty."""
        return self.redis_url or f"redis://127.0.0.1:{self.embedded_redis_port}/0"

    @property
    def action_server_port(self) -> int:
        return urlparse(self.action_server_url).port or 5055

    @property
    def rasa_port(self) -> int:
        return urlparse(self.rasa_url).port or 5005


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part)


def _non_negative(name: str, raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {raw!r}")
    return value


def read_dotenv(path: Path = Path(".env")) -> dict[str, str]:
    """The settings of a `.env` file (KEY=value lines), to sit under the real environment."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("'\"")
    return values


def load(environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the environment; a malformed value stops start-up with its name."""

    def _env(name: str, default: str) -> str:
        return environ.get(name, "").strip() or default

    try:
        operator_language = _env("OPERATOR_LANGUAGE", "ru")
        if operator_language not in ("kk", "ru"):
            raise ValueError(f"OPERATOR_LANGUAGE must be kk or ru, not {operator_language!r}")
        webhook_url = _env("TELEGRAM_WEBHOOK_URL", "")
        webhook_secret = _env("TELEGRAM_WEBHOOK_SECRET", "")
        if webhook_url and not _WEBHOOK_SECRET.match(webhook_secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL: 16 to 256 "
                "characters A-Z, a-z, 0-9, _ and - (e.g. `openssl rand -hex 32`)"
            )
        if webhook_url and urlparse(webhook_url).scheme not in ("http", "https"):
            raise ValueError(f"TELEGRAM_WEBHOOK_URL must be an http(s) URL, not {webhook_url!r}")
        return Settings(
            telegram_bot_token=_env("TELEGRAM_BOT_TOKEN", ""),
            telegram_api_url=_env("TELEGRAM_API_URL", ""),
            emulator_port=int(_env("EMULATOR_PORT", "9000")),
            operators_chat_id=int(_env("OPERATORS_CHAT_ID", "-1001")),
            operator_ids=_ids(_env("OPERATOR_IDS", "1001")),
            operator_language=operator_language,  # type: ignore[arg-type]
            operators_config=Path(_env("OPERATORS_CONFIG", "operators.yml")),
            metrics_host=_env("METRICS_HOST", "127.0.0.1"),
            metrics_port=int(_env("METRICS_PORT", "9464")),
            redis_url=_env("REDIS_URL", ""),
            embedded_redis_port=int(_env("EMBEDDED_REDIS_PORT", "6390")),
            rasa_url=_env("RASA_URL", "http://localhost:5005").rstrip("/"),
            action_server_url=_env("ACTION_SERVER_URL", "http://localhost:5055/webhook"),
            embedding_model=Path(_env("EMBEDDING_MODEL", "models/multilingual-e5-small")),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            telegram_webhook_listen=_env("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            telegram_webhook_port=int(_env("TELEGRAM_WEBHOOK_PORT", "8443")),
            rasa_token=_env("RASA_TOKEN", ""),
            rasa_retry_seconds=_non_negative(
                "RASA_RETRY_SECONDS", _env("RASA_RETRY_SECONDS", "300")
            ),
            action_server_host=_env("ACTION_SERVER_HOST", "127.0.0.1"),
            rate_limit_messages=int(
                _non_negative("RATE_LIMIT_MESSAGES", _env("RATE_LIMIT_MESSAGES", "20"))
            ),
            rate_limit_seconds=_non_negative(
                "RATE_LIMIT_SECONDS", _env("RATE_LIMIT_SECONDS", "60")
            ),
        )
    except ValueError as error:
        raise SystemExit(f"Invalid setting: {error}") from error


# The repository: content/, register/, quality.yml and the models sit here.
ROOT = Path(__file__).resolve().parents[2]
QUALITY = ROOT / "quality.yml"


def quality(path: Path = QUALITY) -> dict[str, Any]:
    """Kömekshi's quality gates and confidence bands (quality.yml)."""
    with path.open(encoding="utf-8") as file:
        data: dict[str, Any] = yaml.safe_load(file)
    return data
