"""The Telegram bridge: citizens and operators on Telegram, the dialogue in Rasa.

Citizens write to the bot in private chats; each text goes to Rasa's REST channel and the
replies come back with their buttons. A conversation goes to a person (komekshi/desk/operators.py) when
Rasa's payload carries a `handoff` (the citizen asked, accepted the offer after an
out-of-scope question or a complaint), or when two turns in a row were not understood
(`nlu_fallback` in the payload's intent). From then on Rasa is paused and not asked
anything: the citizen's messages go to the case in the operators' chat, and the operator's
answers come back from the bot, until the case is closed.

Everything the bridge says itself comes from the editors' content (content/messages/, see
komekshi/knowledge/responses.py), in the citizen's language; every failure is logged and answered politely,
never left silent. While Rasa is unreachable, citizens' messages are kept and answered once it
is back (komekshi/channel/backlog.py); each citizen may send RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS
(komekshi/channel/ratelimit.py). Text is sent as plain text, never with a parse mode, so nothing a citizen
or an operator writes is read as formatting; text that Rasa would take for its own slash
syntax (an intent with entities) is refused like an unknown command.

Updates come by long polling, or, with TELEGRAM_WEBHOOK_URL, by python-telegram-bot's webhook
server, which refuses every request without TELEGRAM_WEBHOOK_SECRET in the
X-Telegram-Bot-Api-Secret-Token header (Telegram sends the secret given to setWebhook).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from telegram import Chat, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from komekshi.channel import analytics
from komekshi.channel.backlog import Backlog, Kept
from komekshi.channel.outbox import Outgoing
from komekshi.channel.pause import RasaPause, sender_id
from komekshi.channel.rasa_client import (
    ATTEMPTS,
    DialogueClient,
    DialogueUnavailable,
    DialogueUnreachable,
)
from komekshi.channel.ratelimit import RateLimiter
from komekshi.core import settings
from komekshi.core.language import LANGUAGES, Lang, detect
from komekshi.core.privacy import configure_logging
from komekshi.core.vocabulary import COMPLAINT, FALLBACK, OUT_OF_SCOPE, Reason
from komekshi.desk import metrics
from komekshi.desk.cases import HandoffStore, Turn
from komekshi.desk.hours import ScheduleError, ScheduleFile
from komekshi.desk.operators import Button, Desk
from komekshi.knowledge import responses

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
    OUT_OF_SCOPE: Reason.OUT_OF_SCOPE,
    COMPLAINT: Reason.COMPLAINT,
    FALLBACK: Reason.NOT_UNDERSTOOD,
}
TICK_SECONDS = 1.0
# After Rasa refused a connection, new messages are kept without trying it for this long (the
# backlog's attempts find out when it is back), so one outage does not hold every update up.
RASA_DOWN_SECONDS = 5.0
# Control characters (but tab and newline) mean nothing in a question; Rasa gets the rest.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Turns that ask nothing: what a citizen said before asking for a person is not a question
# the bot failed to answer if it was one of these (or was already kept as unanswered).
SMALL_TALK = frozenset(
    {"greet", "goodbye", "thanks", "affirm", "deny", "stop", "request_human",
     FALLBACK, OUT_OF_SCOPE}
)  # fmt: skip


class Bridge:
    """Handlers of the bot's Telegram updates, with their state in Redis."""

    def __init__(
        self,
        config: settings.Settings,
        store: HandoffStore,
        dialogue: DialogueClient,
        desk: Desk,
        backlog: Backlog | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.dialogue = dialogue
        self.desk = desk
        self.backlog = backlog or Backlog(store.redis)
        self.limiter = limiter or RateLimiter(
            store.redis, config.rate_limit_messages, config.rate_limit_seconds
        )
        self._ticker: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._metrics: web.AppRunner | None = None
        # Until when (monotonic clock) Rasa is taken to be down: messages are kept at once.
        self._rasa_down_until = 0.0

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
        self._sender = asyncio.create_task(self._send_kept_forever())
        if self.config.metrics_port:
            self._metrics = await metrics.serve(
                self.store.redis, self.config.metrics_host, self.config.metrics_port
            )

    async def stopped(self, app: Application) -> None:  # type: ignore[type-arg]
        for task in (self._ticker, self._sender):
            if task:
                task.cancel()
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

    async def admitted(self, update: Update) -> bool:
        """Within the citizen's rate limit; past it, told once, then dropped unanswered."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or (user is not None and await self.desk.is_operator(user)):
            return True
        verdict = await self.limiter.check(chat.id)
        if verdict.admitted:
            return True
        log.info("Chat %s is over its rate limit; message dropped", chat.id)
        if update.callback_query:
            await update.callback_query.answer()
        if verdict.tell_seconds is not None:
            message = update.effective_message
            language = await self.language(chat.id, (message.text or "") if message else "")
            await self.desk.say(
                chat.id, "utter_channel_rate_limited", language, seconds=verdict.tell_seconds
            )
        return False

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if not await self.admitted(update) or await self._relayed(message):
            return
        chat_id = message.chat_id
        if len(message.text) > MAX_TEXT:
            language = await self.language(chat_id, message.text)
            await self.desk.say(chat_id, "utter_channel_too_long", language, limit=MAX_TEXT)
            return
        text = _CONTROL.sub("", message.text).strip()
        if not text or text.startswith("/"):
            # Nothing but spaces and control characters; or Rasa's own slash syntax
            # ("/intent{...}"), which Telegram did not mark as a command.
            language = await self.language(chat_id, "")
            response = "utter_channel_unknown_command" if text else "utter_channel_unsupported"
            await self.desk.say(chat_id, response, language)
            return
        await self.store.remember(chat_id, "citizen", message.text)
        await self.converse(
            chat_id, text, _first_name(update), said=message.text, message_id=message.message_id
        )

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if not await self.admitted(update) or await self._relayed(message):
            return
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self.converse(
            message.chat_id,
            COMMAND_INTENTS[command],
            _first_name(update),
            said=message.text,
            message_id=message.message_id,
        )

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if not await self.admitted(update) or await self._relayed(message):
            return
        language = await self.language(message.chat_id, "")
        await self.desk.say(message.chat_id, "utter_channel_unknown_command", language)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, documents: relayed in a handoff, else explained."""
        message = update.effective_message
        assert message is not None
        if not await self.admitted(update) or await self._relayed(message):
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
        elif await self.admitted(update):
            await query.answer()
            # A button of an earlier answer means nothing while a person handles the chat.
            if not await self.store.active_case(chat.id):
                await self.converse(chat.id, query.data, query.from_user.first_name)

    async def converse(
        self,
        chat_id: int,
        text: str,
        first_name: str,
        said: str | None = None,
        message_id: int | None = None,
    ) -> None:
        """One turn with Rasa; kept for later if Rasa is unreachable (komekshi/channel/backlog.py).

        `said` and `message_id` are what the citizen wrote, for an operator if a case opens
        before a kept message is sent.
        """
        kept = Kept(text, first_name, said, message_id)
        if time.monotonic() < self._rasa_down_until:
            await self._keep(chat_id, kept)
            return
        if await self.backlog.queue_behind(chat_id, kept):
            return
        try:
            await self.turn(chat_id, text, first_name)
        except DialogueUnreachable:
            log.warning("Rasa unreachable: message of chat %s kept for later", chat_id)
            self._rasa_down_until = time.monotonic() + RASA_DOWN_SECONDS
            await self._keep(chat_id, kept)
        except DialogueUnavailable as error:
            log.error("No answer from Rasa for chat %s: %s", chat_id, error)
            language = await self.language(chat_id, said or "")
            await self.desk.say(chat_id, "utter_channel_unavailable", language)

    async def _keep(self, chat_id: int, kept: Kept) -> None:
        """Keep a message for Rasa; the first one kept tells the citizen it will be answered."""
        if await self.backlog.keep(chat_id, kept):
            language = await self.language(chat_id, kept.said or "")
            await self.desk.say(chat_id, "utter_channel_unavailable_kept", language)

    async def _send_kept_forever(self) -> None:
        while True:
            try:
                await self.send_kept()
            except Exception:
                log.exception("Kept messages not sent; trying again")
            await asyncio.sleep(TICK_SECONDS)

    async def send_kept(self) -> None:
        """Send Rasa the kept messages that are due, each chat's oldest first."""
        for chat_id in await self.backlog.due():
            if not await self.backlog.claim(chat_id):
                continue
            try:
                await self._send_kept(chat_id)
            finally:
                await self.backlog.release(chat_id)

    async def _send_kept(self, chat_id: int) -> None:
        while (kept := await self.backlog.first(chat_id)) is not None:
            if dt.datetime.now(dt.UTC).timestamp() - kept.at > self.config.rasa_retry_seconds:
                dropped = await self.backlog.drop(chat_id)
                log.warning("Gave up %d messages of chat %s kept for Rasa", dropped, chat_id)
                language = await self.language(chat_id, kept.said or "")
                await self.desk.say(chat_id, "utter_channel_unavailable", language)
                return
            case = await self.store.active_case(chat_id)
            if case is not None:
                # A kept message asked for a person: what follows is theirs (a button is not).
                if kept.said is not None:
                    await self.desk.relay_from_citizen(case, _message(chat_id, kept))
            else:
                try:
                    await self.turn(chat_id, kept.text, kept.first_name, attempts=1)
                except DialogueUnreachable:
                    await self.backlog.later(chat_id)
                    return
                except DialogueUnavailable as error:
                    log.error(
                        "No answer from Rasa for a kept message of chat %s: %s", chat_id, error
                    )
                    language = await self.language(chat_id, kept.said or "")
                    await self.desk.say(chat_id, "utter_channel_unavailable", language)
                self._rasa_down_until = 0.0
            await self.backlog.done(chat_id)

    async def turn(
        self, chat_id: int, text: str, first_name: str, attempts: int = ATTEMPTS
    ) -> None:
        """Send Rasa the text, deliver the replies, hand off if needed.

        Raises DialogueUnreachable when the text did not reach Rasa (to be kept and sent
        again), DialogueUnavailable when Rasa failed.
        """
        language = await self.language(chat_id, text)
        chosen = await self.store.chosen_language(chat_id)
        if not await self.desk.resume(chat_id):
            raise DialogueUnreachable(f"the conversation of chat {chat_id} could not be resumed")
        metadata = {"language": chosen} if chosen else None
        replies = await self.dialogue.send(sender_id(chat_id), text, metadata, attempts=attempts)
        if not replies:
            # A custom action failed (the action server is down, say): Rasa went on without
            # its events and said nothing.
            raise DialogueUnavailable("Rasa answered nothing")
        payload = replies[-1].get("custom") or {}
        language = payload.get("language") or language
        if payload.get("language_choice") in LANGUAGES:
            await self.store.choose_language(chat_id, payload["language_choice"])
        understood = payload.get("intent") or {}
        turn = Turn(understood.get("name") or "", float(understood.get("confidence") or 0))
        previous = await self.store.last_turn(chat_id)
        misses = await self.store.set_turn(chat_id, turn, missed=turn.intent == FALLBACK)
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
        if turn.intent in (FALLBACK, OUT_OF_SCOPE):
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


def _message(chat_id: int, kept: Kept) -> Message:
    """A kept message as the citizen sent it, to relay to a case."""
    return Message(
        kept.message_id or 0,
        dt.datetime.fromtimestamp(kept.at, dt.UTC),
        Chat(chat_id, Chat.PRIVATE),
        text=kept.said,
    )


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
    pause = RasaPause(config.rasa_url, config.rasa_token)
    desk = Desk(config, store, responses.load(), app.bot, schedule, pause)
    Bridge(config, store, DialogueClient(config.rasa_url), desk).register(app)
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
