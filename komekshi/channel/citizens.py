"""The citizens' handlers: what a citizen sends the bot, to Rasa and back, or to a person.

Citizens write to the bot in private chats; each text goes to Rasa's REST channel and the
replies come back with their buttons. Whether a turn goes to a person, and why, is decided
by komekshi/channel/handoff_policy.py; the case is the desk's (komekshi/desk/desk.py). From
then on Rasa is paused and not asked anything: the citizen's messages go to the case in the
operators' chat, and the operator's answers come back from the bot, until the case is closed.

Everything said here comes from the editors' content (content/messages/, see
komekshi/knowledge/responses.py), in the citizen's language; every failure is logged and
answered politely, never left silent. While Rasa is unreachable, citizens' messages are kept
and answered once it is back (komekshi/channel/backlog.py); each citizen may send
RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS (komekshi/channel/ratelimit.py). Text is sent as
plain text, never with a parse mode, so nothing a citizen or an operator writes is read as
formatting; text that Rasa would take for its own slash syntax (an intent with entities) is
refused like an unknown command.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

from telegram import Chat, Message, Update
from telegram.ext import ContextTypes

from komekshi.channel import analytics, handoff_policy
from komekshi.channel.backlog import Backlog, Kept
from komekshi.channel.outbox import Outgoing
from komekshi.channel.pause import sender_id
from komekshi.channel.rasa_client import (
    ATTEMPTS,
    DialogueClient,
    DialogueUnavailable,
    DialogueUnreachable,
)
from komekshi.channel.ratelimit import RateLimiter
from komekshi.core import clock, settings
from komekshi.core.language import LANGUAGES, Lang, detect
from komekshi.core.vocabulary import FALLBACK, OUT_OF_SCOPE, Reason
from komekshi.desk.cards import Button
from komekshi.desk.cases import HandoffStore, Turn
from komekshi.desk.desk import Desk

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


class Citizens:
    """Handlers of the citizens' Telegram updates, with their state in Redis."""

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
        # Until when (monotonic clock) Rasa is taken to be down: messages are kept at once.
        self._rasa_down_until = 0.0

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
        """A button of an answer (sent to Rasa), or the citizen's cancel or rating of a case.

        The operators' buttons have their own handler (komekshi/desk/operators.py); any other
        button pressed outside a citizen's private chat is only acknowledged.
        """
        query = update.callback_query
        assert query is not None
        chat = query.message.chat if query.message else None
        if (
            chat is None
            or not query.data
            or chat.type != chat.PRIVATE
            or chat.id == self.config.operators_chat_id
        ):
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
            if clock.timestamp() - kept.at > self.config.rasa_retry_seconds:
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
        """Send Rasa the text, deliver the replies, hand off if the policy says so.

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
        misses = await self.store.set_turn(chat_id, turn, missed=handoff_policy.missed(turn))
        handoff = handoff_policy.decide(replies, previous, turn, misses)
        # Rasa's words stand unless the bridge calls a person in its stead, or none is at work.
        if handoff is None or (handoff.by_rasa and self.desk.is_open()):
            for reply in replies:
                if reply.get("text"):
                    buttons = tuple(((b["title"], b["payload"]),) for b in reply.get("buttons", []))
                    await self.desk.courier.send(Outgoing(chat_id, reply["text"], buttons))
                    await self.store.remember(chat_id, "bot", reply["text"])
        await self.store.set_language(chat_id, language)
        reason = handoff.reason if handoff else None
        await analytics.record_turn(
            self.store.redis,
            language=language,
            intent=turn.intent,
            confidence=turn.confidence,
            text=text,
            handed_off=handoff is not None,
            unanswered=await self._unanswered(chat_id, text, turn, previous, reason),
        )
        if handoff is None:
            return
        await self.store.set_turn(chat_id, turn, missed=False)
        if not handoff.by_rasa:
            await self.desk.say(chat_id, "utter_handoff_not_understood", language)
        await self.desk.hand_off(chat_id, language, handoff.reason, first_name, handoff.cause)

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

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any handler's failure: logged, and the citizen (not the operators) apologised to."""
        log.error("Update failed: %r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            chat_id = update.effective_chat.id
            if chat_id != self.config.operators_chat_id:
                language = await self.store.language(chat_id) or "kk"
                await self.desk.say(chat_id, "utter_channel_unavailable", language)


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
