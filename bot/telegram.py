"""The Telegram bridge: citizens and operators on Telegram, the dialogue in Rasa.

Citizens write to the bot in private chats; each text goes to Rasa's REST channel and the
replies come back with their buttons. A conversation goes to a person (bot/desk.py) when
Rasa's payload carries a `handoff` (the citizen asked, accepted the offer after an
out-of-scope question or a complaint), or when two turns in a row were not understood
(`nlu_fallback` in the payload's intent). From then on Rasa is paused and not asked
anything: the citizen's messages go to the case in the operators' chat, and the operator's
answers come back from the bot, until the case is closed.

Everything the bridge says itself comes from `domain.yml` (see bot/responses.py), in the
citizen's language; every failure is logged and answered politely, never left silent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from telegram import Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import analytics, metrics, responses, settings
from bot.delivery import Outgoing
from bot.desk import Button, Desk
from bot.dialogue import DialogueClient, DialogueUnavailable
from bot.handoff import HandoffStore, Reason, Turn
from bot.hours import ScheduleError, ScheduleFile
from bot.language import LANGUAGES, Lang, detect
from bot.pause import RasaPause, sender_id
from bot.privacy import configure_logging

log = logging.getLogger(__name__)

# Longer messages are not sent to the NLU model: no question needs them, and parsing them
# costs time every other citizen waits for. They still reach an operator during a handoff.
MAX_TEXT = 2000
# Commands a citizen can send, and the Rasa intent each stands for.
COMMAND_INTENTS = {
    "start": "/greet",
    "help": "/help",
    "operator": "/request_human",
    "language": "/switch_language",
}
# Not understood this many turns in a row: a person takes over.
MISSES_FOR_HANDOFF = 2
# Why a handoff happened, by what the turn before it was about (the citizen accepted an
# offer of a person); otherwise the citizen asked for one.
OFFERED_AFTER = {
    "out_of_scope": Reason.OUT_OF_SCOPE,
    "complaint": Reason.COMPLAINT,
    "nlu_fallback": Reason.NOT_UNDERSTOOD,
}
TICK_SECONDS = 1.0
# Turns that ask nothing: what a citizen said before asking for a person is not a question
# the bot failed to answer if it was one of these (or was already kept as unanswered).
SMALL_TALK = frozenset(
    {"greet", "goodbye", "thanks", "affirm", "deny", "stop", "request_human",
     analytics.FALLBACK, analytics.OUT_OF_SCOPE}
)  # fmt: skip


class Bridge:
    """Handlers of the bot's Telegram updates, with their state in Redis."""

    def __init__(
        self, config: settings.Settings, store: HandoffStore, dialogue: DialogueClient, desk: Desk
    ) -> None:
        self.config = config
        self.store = store
        self.dialogue = dialogue
        self.desk = desk
        self._ticker: asyncio.Task[None] | None = None
        self._metrics: web.AppRunner | None = None

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Attach the handlers; the operators' chat is matched first, other groups ignored."""
        operators = filters.Chat(chat_id=self.config.operators_chat_id)
        citizens = filters.ChatType.PRIVATE & ~operators
        app.add_handler(MessageHandler(operators & filters.UpdateType.MESSAGE, self.on_operator))
        app.add_handler(CommandHandler(list(COMMAND_INTENTS), self.on_command, citizens))
        app.add_handler(MessageHandler(citizens & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(citizens & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(citizens & ~filters.TEXT, self.on_other))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)
        app.post_init = self.started
        app.post_shutdown = self.stopped

    async def started(self, app: Application) -> None:  # type: ignore[type-arg]
        """Start retrying deliveries and queueing at opening, and serve the metrics."""
        self._ticker = asyncio.create_task(self._tick())
        if self.config.metrics_port:
            self._metrics = await metrics.serve(
                self.store.redis, self.config.metrics_host, self.config.metrics_port
            )

    async def stopped(self, app: Application) -> None:  # type: ignore[type-arg]
        if self._ticker:
            self._ticker.cancel()
        if self._metrics:
            await self._metrics.cleanup()

    async def _tick(self) -> None:
        while True:
            try:
                await self.desk.tick()
            except Exception:
                log.exception("Desk tick failed; trying again")
            await asyncio.sleep(TICK_SECONDS)

    # Citizens

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if await self._relayed(message):
            return
        chat_id = message.chat_id
        if len(message.text) > MAX_TEXT:
            language = await self.language(chat_id, message.text)
            await self.desk.say(chat_id, "utter_channel_too_long", language, limit=MAX_TEXT)
            return
        await self.store.remember(chat_id, "citizen", message.text)
        await self.converse(chat_id, message.text, _first_name(update))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if await self._relayed(message):
            return
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self.converse(message.chat_id, COMMAND_INTENTS[command], _first_name(update))

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if await self._relayed(message):
            return
        language = await self.language(message.chat_id, "")
        await self.desk.say(message.chat_id, "utter_channel_unknown_command", language)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, documents: relayed in a handoff, else explained."""
        message = update.effective_message
        assert message is not None
        if await self._relayed(message):
            return
        language = await self.language(message.chat_id, message.caption or "")
        await self.desk.say(message.chat_id, "utter_channel_unsupported", language)

    async def _relayed(self, message: Message) -> bool:
        """While a case is open, whatever the citizen sends goes to it, not to Rasa."""
        case = await self.store.active_case(message.chat_id)
        if case:
            await self.desk.relay_from_citizen(case, message)
        return case is not None

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        chat = query.message.chat if query.message else None
        if chat is None or not query.data:
            await query.answer()
        elif chat.id == self.config.operators_chat_id:
            await self.desk.on_operator_button(query)
        elif chat.type != chat.PRIVATE:
            await query.answer()
        elif button := Button.parse(query.data):
            await self.desk.on_citizen_button(query, button)
        else:
            await query.answer()
            # A button of an earlier answer means nothing while a person handles the chat.
            if not await self.store.active_case(chat.id):
                await self.converse(chat.id, query.data, query.from_user.first_name)

    async def converse(self, chat_id: int, text: str, first_name: str) -> None:
        """One turn with Rasa: send the text, deliver the replies, hand off if needed."""
        language = await self.language(chat_id, text)
        chosen = await self.store.chosen_language(chat_id)
        replies: list[dict[str, Any]] = []
        if await self.desk.resume(chat_id):
            try:
                metadata = {"language": chosen} if chosen else None
                replies = await self.dialogue.send(sender_id(chat_id), text, metadata)
            except DialogueUnavailable:
                log.exception("No answer from Rasa for chat %s", chat_id)
        if not replies:
            await self.desk.say(chat_id, "utter_channel_unavailable", language)
            return
        payload = replies[-1].get("custom") or {}
        language = payload.get("language") or language
        if payload.get("language_choice") in LANGUAGES:
            await self.store.choose_language(chat_id, payload["language_choice"])
        understood = payload.get("intent") or {}
        turn = Turn(understood.get("name") or "", float(understood.get("confidence") or 0))
        previous = await self.store.last_turn(chat_id)
        misses = await self.store.set_turn(chat_id, turn, missed=turn.intent == "nlu_fallback")
        rasa_hands_off = any((reply.get("custom") or {}).get("handoff") for reply in replies)
        reason, cause = _why_hand_off(rasa_hands_off, previous, turn, misses)
        # Rasa's words stand unless the bridge calls a person in its stead, or none is at work.
        if reason is None or (rasa_hands_off and self.desk.is_open()):
            for reply in replies:
                if reply.get("text"):
                    buttons = tuple(((b["title"], b["payload"]),) for b in reply.get("buttons", []))
                    await self.desk.courier.send(Outgoing(chat_id, reply["text"], buttons))
                    await self.store.remember(chat_id, "bot", reply["text"])
        await self.store.set_language(chat_id, language)
        await analytics.record_turn(
            self.store.redis,
            language=language,
            intent=turn.intent,
            confidence=turn.confidence,
            text=text,
            handed_off=reason is not None,
            unanswered=await self._unanswered(chat_id, text, turn, previous, reason),
        )
        if reason is None:
            return
        await self.store.set_turn(chat_id, turn, missed=False)
        if not rasa_hands_off:
            await self.desk.say(chat_id, "utter_handoff_not_understood", language)
        await self.desk.hand_off(chat_id, language, reason, first_name, cause)

    async def _unanswered(
        self, chat_id: int, text: str, turn: Turn, previous: Turn | None, reason: Reason | None
    ) -> str | None:
        """The question a turn left open, for editors to review: one not understood or out of
        scope, or the one a citizen asked just before asking for a person."""
        if text.startswith("/"):
            return None
        if turn.intent in (analytics.FALLBACK, analytics.OUT_OF_SCOPE):
            return text
        if reason != Reason.CITIZEN_REQUEST or previous is None or previous.intent in SMALL_TALK:
            return None
        asked = [
            line for line in await self.store.transcript(chat_id) if line.startswith("citizen: ")
        ]
        return asked[-2].removeprefix("citizen: ") if len(asked) > 1 else None

    async def language(self, chat_id: int, text: str) -> Lang:
        """The citizen's language: the one they chose, what this message is in, else the
        one they last used."""
        chosen = await self.store.chosen_language(chat_id)
        detected = detect(text).language if text and not chosen else None
        return chosen or detected or await self.store.language(chat_id) or "kk"

    # Operators

    async def on_operator(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is not None and user is not None:
            await self.desk.on_operator_message(message, user)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Update failed: %r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            chat_id = update.effective_chat.id
            if chat_id != self.config.operators_chat_id:
                language = await self.store.language(chat_id) or "kk"
                await self.desk.say(chat_id, "utter_channel_unavailable", language)


def _why_hand_off(
    rasa_hands_off: bool, previous: Turn | None, turn: Turn, misses: int
) -> tuple[Reason | None, Turn]:
    """Why this turn goes to a person (None: it does not), and the turn that led there."""
    if rasa_hands_off and previous and previous.intent in OFFERED_AFTER:
        return OFFERED_AFTER[previous.intent], previous
    if rasa_hands_off:
        return Reason.CITIZEN_REQUEST, turn
    if misses >= MISSES_FOR_HANDOFF:
        return Reason.NOT_UNDERSTOOD, turn
    return None, turn


def _first_name(update: Update) -> str:
    return update.effective_user.first_name if update.effective_user else ""


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


def main() -> None:
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
    desk = Desk(config, store, responses.load(), app.bot, schedule, RasaPause(config.rasa_url))
    Bridge(config, store, DialogueClient(config.rasa_url), desk).register(app)
    log.info("Telegram bridge polling %s", config.bot_api_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
