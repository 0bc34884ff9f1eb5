"""The Telegram bridge's process: `main()` wires it all, as python-telegram-bot's examples do.

One function reads the settings, sets up logging, connects to Redis, builds the case store,
the desk, the citizens' and the operators' handlers, attaches the handlers to the application
and runs it; nothing is wired anywhere else, so what the bridge is made of reads in one place.
Beside the handlers run, every second, the desk's tick (retried deliveries, cases queued at
opening) and the messages kept while Rasa was unreachable; the desk's metrics are served
when METRICS_PORT is set.

Updates come by long polling, or, with TELEGRAM_WEBHOOK_URL, by python-telegram-bot's webhook
server, which refuses every request without TELEGRAM_WEBHOOK_SECRET in the
X-Telegram-Bot-Api-Secret-Token header (Telegram sends the secret given to setWebhook).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from komekshi.channel.citizens import COMMAND_INTENTS, Citizens
from komekshi.channel.pause import RasaPause
from komekshi.channel.rasa_client import DialogueClient
from komekshi.core import settings
from komekshi.core.privacy import configure_logging
from komekshi.desk import metrics
from komekshi.desk.cards import OPERATOR_BUTTON
from komekshi.desk.cases import HandoffStore
from komekshi.desk.desk import Desk
from komekshi.desk.hours import ScheduleError, ScheduleFile
from komekshi.desk.operators import Operators
from komekshi.knowledge import responses

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


def application(config: settings.Settings) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot application talking to Telegram or to the local emulator."""
    api = config.bot_api_url
    return (
        Application.builder()
        .token(config.bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )


def redis_client(url: str) -> Redis:
    """Redis that rides out a restart of the server: commands are retried for a while."""
    return Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=20),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


async def every(seconds: float, job: Callable[[], Awaitable[None]], failed: str) -> None:
    """Run a job forever, `seconds` apart; a failure is logged (`failed`) and tried again."""
    while True:
        try:
            await job()
        except Exception:
            log.exception(failed)
        await asyncio.sleep(seconds)


class Background:
    """What runs beside the handlers, from the application's start to its shutdown."""

    def __init__(self, config: settings.Settings, desk: Desk, citizens: Citizens) -> None:
        self.config = config
        self.desk = desk
        self.citizens = citizens
        self._tasks: list[asyncio.Task[None]] = []
        self._metrics: web.AppRunner | None = None

    async def start(self, app: Application) -> None:  # type: ignore[type-arg]
        """Retry deliveries, queue at opening and send kept messages; serve the metrics."""
        self._tasks = [
            asyncio.create_task(
                every(TICK_SECONDS, self.desk.tick, "Desk tick failed; trying again")
            ),
            asyncio.create_task(
                every(TICK_SECONDS, self.citizens.send_kept, "Kept messages not sent; trying again")
            ),
        ]
        if self.config.metrics_port:
            self._metrics = await metrics.serve(
                self.desk.store.redis, self.config.metrics_host, self.config.metrics_port
            )

    async def stop(self, app: Application) -> None:  # type: ignore[type-arg]
        for task in self._tasks:
            task.cancel()
        if self._metrics:
            await self._metrics.cleanup()


def main() -> None:
    """The bridge: settings, Redis, the desk and the handlers, wired and run until stopped."""
    config = settings.load()
    configure_logging(config.log_level)
    # httpx logs every request URL, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        schedule = ScheduleFile(config.operators_config)
    except (OSError, ScheduleError) as error:
        raise SystemExit(f"Invalid working hours ({config.operators_config}): {error}") from error
    app = application(config)
    store = HandoffStore(redis_client(config.resolved_redis_url))
    pause = RasaPause(config.rasa_url, config.rasa_token)
    desk = Desk(config, store, responses.load(), app.bot, schedule, pause)
    citizens = Citizens(config, store, DialogueClient(config.rasa_url), desk)
    operators = Operators(desk)

    # The operators' chat is matched first; other groups are ignored.
    operators_chat = filters.Chat(chat_id=config.operators_chat_id)
    private = filters.ChatType.PRIVATE & ~operators_chat
    app.add_handler(
        MessageHandler(operators_chat & filters.UpdateType.MESSAGE, operators.on_message)
    )
    app.add_handler(CallbackQueryHandler(operators.on_button, pattern=OPERATOR_BUTTON))
    app.add_handler(CommandHandler(list(COMMAND_INTENTS), citizens.on_command, private))
    app.add_handler(MessageHandler(private & filters.COMMAND, citizens.on_unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, citizens.on_text))
    app.add_handler(MessageHandler(private & ~filters.TEXT, citizens.on_other))
    app.add_handler(CallbackQueryHandler(citizens.on_button))
    app.add_error_handler(citizens.on_error)
    background = Background(config, desk, citizens)
    app.post_init = background.start
    app.post_shutdown = background.stop

    if config.uses_webhook:
        log.info(
            "Telegram bridge receiving updates at %s (listening on %s:%d)",
            config.telegram_webhook_url,
            config.telegram_webhook_listen,
            config.telegram_webhook_port,
        )
        app.run_webhook(
            listen=config.telegram_webhook_listen,
            port=config.telegram_webhook_port,
            url_path=config.webhook_path,
            webhook_url=config.telegram_webhook_url,
            secret_token=config.telegram_webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        return
    log.info("Telegram bridge polling %s", config.bot_api_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
