"""The operators' desk: a case from the citizen's handoff, through the operators' chat, to a rating.

A case appears in the operators' chat (OPERATORS_CHAT_ID) as a card (komekshi/desk/cards.py):
in a forum topic of its own when the group has topics, else as a message that operators reply
to. Everything a citizen sends while the case is open is relayed to it, and everything its
holder writes there is sent to that citizen by the bot (komekshi/desk/operators.py, behind the
operator guard), with nobody else able to reach the case. After closing, the citizen is asked
for a rating and Rasa resumes.

Citizens' texts are masked (IIN, phone, card numbers) before they reach the group: it is a
shared chat, not a system of record. Attachments are copied as they are.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, User
from telegram.error import TelegramError

from komekshi.channel.outbox import Courier, Keyboard, Outgoing, markup
from komekshi.channel.pause import RasaPause, sender_id
from komekshi.core import clock
from komekshi.core.language import Lang
from komekshi.core.privacy import mask
from komekshi.core.settings import Settings
from komekshi.core.vocabulary import Reason
from komekshi.desk.cards import Button, Cards, render, stars
from komekshi.desk.cases import Case, HandoffStore, Resolution, Status, Turn
from komekshi.desk.hours import ScheduleFile
from komekshi.knowledge import responses

log = logging.getLogger(__name__)

# How long the group's forum capability and its admins are trusted before asking again.
CHAT_INFO_SECONDS = 300.0
# A relayed text must stay under Telegram's 4096 characters with its prefix.
RELAY_LIMIT = 3900
TRANSCRIPT_LINE = 300


class Desk:
    """Cases between citizens and operators, over the bot; state in `HandoffStore`."""

    def __init__(
        self,
        config: Settings,
        store: HandoffStore,
        texts: responses.Responses,
        bot: Bot,
        schedule: ScheduleFile,
        rasa: RasaPause,
    ) -> None:
        self.config = config
        self.store = store
        self.texts = texts
        self.cards = Cards(texts, config.operator_language)
        self.bot = bot
        self.schedule = schedule
        self.rasa = rasa
        self.courier = Courier(bot, store.redis, self._sent, self._failed)
        self._forum: tuple[float, bool] | None = None
        self._admins: tuple[float, frozenset[int]] | None = None

    # Saying things

    async def say(
        self, chat_id: int, response: str, language: Lang, /, buttons: Keyboard = (), **values: Any
    ) -> None:
        """Send a citizen a response in their language (with its buttons, or these)."""
        text, own = render(self.texts, response, language, **values)
        await self.courier.send(Outgoing(chat_id, text, buttons or own))

    async def tell_operators(
        self, response: str, case: Case, /, buttons: Keyboard = (), **values: Any
    ) -> None:
        """Post about a case in the operators' chat: in its topic, in reply to its card."""
        text, own = self.cards.render(response, **values)
        await self.courier.send(
            Outgoing(
                self.config.operators_chat_id,
                text,
                buttons or own,
                reply_to=case.card_message_id,
                thread_id=case.topic_id,
                case_id=case.id,
            )
        )

    # Opening a case

    def is_open(self) -> bool:
        return self.schedule.current().is_open(clock.now())

    async def hand_off(
        self, chat_id: int, language: Lang, reason: Reason, first_name: str, turn: Turn
    ) -> None:
        """Open a case for a citizen: queued now, or deferred to opening time."""
        case, created = await self.store.open_case(
            chat_id,
            language=language,
            reason=reason,
            first_name=first_name,
            intent=turn.intent,
            confidence=turn.confidence,
            deferred=not self.is_open(),
        )
        if not created:
            return
        log.info("Case %s opened for chat %s (%s, %s)", case.id, chat_id, reason, case.status)
        await self.rasa.pause(sender_id(chat_id))
        if case.status == Status.DEFERRED:
            schedule = self.schedule.current()
            opens = schedule.next_opening(clock.now()).strftime("%d.%m.%Y %H:%M")
            await self.say(
                chat_id, "utter_handoff_after_hours", language, opens=opens, case_id=case.id
            )
            return
        await self._post(case)
        await self._tell_place(case)

    async def _post(self, case: Case) -> Case:
        """Post the case's card: in a new forum topic if the group has topics."""
        lines = await self.store.transcript(case.chat_id)
        transcript = "\n".join(line[:TRANSCRIPT_LINE] for line in lines) or "—"
        await self.store.freeze_transcript(case.id, transcript)
        case = dataclasses.replace(case, card_transcript=transcript)
        thread_id = await self._open_topic(case)
        text, buttons = self._card(case, await self.store.operator_names())
        await self.courier.send(
            Outgoing(
                self.config.operators_chat_id,
                text,
                buttons,
                thread_id=thread_id,
                case_id=case.id,
                card=True,
            )
        )
        return await self.store.case(case.id) or case

    async def _open_topic(self, case: Case) -> int | None:
        if not await self._has_topics():
            return None
        try:
            topic = await self.bot.create_forum_topic(
                self.config.operators_chat_id, f"#{case.id} {case.first_name}"[:128]
            )
        except TelegramError as error:
            log.warning("No forum topic for case %s, posting a card instead: %r", case.id, error)
            return None
        await self.store.link_topic(case.id, topic.message_thread_id)
        return topic.message_thread_id

    async def _has_topics(self) -> bool:
        """Whether the operators' group is a forum (asked now and then, not every time)."""
        now = clock.timestamp()
        if self._forum and now - self._forum[0] < CHAT_INFO_SECONDS:
            return self._forum[1]
        try:
            forum = bool((await self.bot.get_chat(self.config.operators_chat_id)).is_forum)
        except TelegramError as error:
            log.info("Operators' chat capabilities unknown, using case cards: %r", error)
            forum = False
        self._forum = (now, forum)
        return forum

    async def _tell_place(self, case: Case) -> None:
        place = await self.store.place(case.id)
        if place is None:
            return
        minutes = await self.store.expected_wait_minutes(
            place, self.schedule.current().default_wait_minutes
        )
        await self.say(
            case.chat_id,
            "utter_handoff_queued",
            case.language,
            place=place,
            minutes=minutes,
            case_id=case.id,
        )

    async def tick(self) -> None:
        """Every second: retry undelivered messages; at opening, queue the deferred cases."""
        await self.courier.flush()
        if not self.is_open():
            return
        for deferred in await self.store.deferred_cases():
            if not await self.store.queue(deferred.id):
                continue
            case = await self._post(await self.store.case(deferred.id) or deferred)
            for item in await self.store.take_left(case.id):
                await self._relay_to_case(case, item.get("text"), item.get("message_id"))
            await self.say(case.chat_id, "utter_handoff_desk_open", case.language)
            await self._tell_place(case)
            log.info("Deferred case %s queued at opening", case.id)

    # The card

    def _card(self, case: Case, names: dict[int, str]) -> tuple[str, Keyboard]:
        return self.cards.card(case, names, self.schedule.current().timezone)

    async def refresh_card(self, case_id: int) -> None:
        """Show the case's new state on its card (buttons included)."""
        case = await self.store.case(case_id)
        if case is None or case.card_message_id is None:
            return
        text, buttons = self._card(case, await self.store.operator_names())
        try:
            await self.bot.edit_message_text(
                text,
                self.config.operators_chat_id,
                case.card_message_id,
                reply_markup=markup(buttons) or InlineKeyboardMarkup([]),
            )
        except TelegramError as error:
            log.warning("Card of case %s not updated: %r", case_id, error)

    # Relays

    async def relay_from_citizen(self, case: Case, message: Message) -> None:
        """A citizen's message to their case (kept for opening time after hours)."""
        text = message.text
        if case.status == Status.DEFERRED:
            item = {"text": mask(text)} if text is not None else {"message_id": message.message_id}
            if await self.store.leave(case.id, item):
                await self.say(case.chat_id, "utter_handoff_left", case.language)
            return
        await self._relay_to_case(case, text, message.message_id)

    async def _relay_to_case(self, case: Case, text: str | None, message_id: int | None) -> None:
        relay = Outgoing(
            self.config.operators_chat_id,
            reply_to=case.card_message_id if case.topic_id is None else None,
            thread_id=case.topic_id,
            case_id=case.id,
            relay=True,
        )
        if text is None:
            assert message_id is not None
            await self.courier.send(dataclasses.replace(relay, copy_of=(case.chat_id, message_id)))
            return
        await self.store.remember(case.chat_id, "citizen", text)
        relayed = self.cards.text(
            "utter_operator_citizen_message",
            case_id=case.id,
            first_name=case.first_name or "—",
            text=mask(text)[:RELAY_LIMIT],
        )
        await self.courier.send(dataclasses.replace(relay, text=relayed))

    async def relay_to_citizen(self, case: Case, message: Message) -> None:
        """What the case's holder wrote (or attached), sent to the citizen by the bot."""
        if message.text is None:
            copy = (message.chat_id, message.message_id)
            relay = Outgoing(case.chat_id, copy_of=copy, case_id=case.id, relay=True)
        else:
            text, _ = render(
                self.texts,
                "utter_channel_operator_message",
                case.language,
                text=message.text[:RELAY_LIMIT],
            )
            relay = Outgoing(case.chat_id, text, case_id=case.id, relay=True)
            await self.store.remember(case.chat_id, "operator", message.text)
        await self.courier.send(relay)

    async def _sent(self, message: Outgoing, message_id: int) -> None:
        """Link what reached the operators' chat to its case, so replies to it find it."""
        if message.chat_id == self.config.operators_chat_id and message.case_id:
            await self.store.link_message(message.case_id, message_id, card=message.card)

    async def _failed(self, message: Outgoing) -> None:
        """A relay Telegram would not take: tell both sides, so nobody waits for it."""
        case = await self.store.case(message.case_id) if message.relay and message.case_id else None
        if case is None:
            return
        if message.chat_id == self.config.operators_chat_id:
            if message.copy_of:
                await self.tell_operators(
                    "utter_operator_citizen_attachment_failed",
                    case,
                    case_id=case.id,
                    first_name=case.first_name or "—",
                )
                await self.say(case.chat_id, "utter_channel_attachment_failed", case.language)
            return
        await self.tell_operators("utter_operator_undelivered", case, case_id=case.id)
        if message.copy_of:
            await self.say(case.chat_id, "utter_channel_operator_attachment_failed", case.language)

    # Who operators are

    async def is_operator(self, user: User) -> bool:
        """Listed in OPERATOR_IDS, or an admin of the operators' group."""
        return not user.is_bot and (
            user.id in self.config.operator_ids or user.id in await self._group_admins()
        )

    async def colleagues(self, user: User) -> list[int]:
        """The other operators, whom a case can be handed to."""
        return sorted((self.config.operator_ids | await self._group_admins()) - {user.id})

    async def _group_admins(self) -> frozenset[int]:
        now = clock.timestamp()
        if self._admins and now - self._admins[0] < CHAT_INFO_SECONDS:
            return self._admins[1]
        try:
            members = await self.bot.get_chat_administrators(self.config.operators_chat_id)
            admins = frozenset(m.user.id for m in members if not m.user.is_bot)
        except TelegramError as error:
            log.info("Admins of the operators' chat unknown, OPERATOR_IDS only: %r", error)
            admins = frozenset()
        self._admins = (now, admins)
        return admins

    # Closing, cancelling, rating

    async def close(self, case: Case, resolution: Resolution, closed_by: int) -> None:
        """Close a case; an operator's closing asks the citizen for a rating."""
        if not await self.store.close(case, resolution, closed_by):
            return
        log.info("Case %s closed (%s) by %s", case.id, resolution, closed_by)
        case = await self.store.case(case.id) or case
        if case.card_message_id or case.topic_id:  # a case cancelled after hours never showed
            await self.refresh_card(case.id)
            await self.tell_operators("utter_operator_case_closed", case, case_id=case.id)
        if case.topic_id:
            try:
                await self.bot.close_forum_topic(self.config.operators_chat_id, case.topic_id)
            except TelegramError as error:
                log.warning("Topic of case %s not closed: %r", case.id, error)
        if resolution == Resolution.CANCELLED:
            await self.say(case.chat_id, "utter_handoff_cancelled", case.language)
        else:
            await self.say(case.chat_id, "utter_channel_handoff_closed", case.language)
            await self.say(case.chat_id, "utter_rating_ask", case.language, buttons=stars(case))
        await self.resume(case.chat_id)

    async def resume(self, chat_id: int) -> bool:
        """Resume the citizen's conversation in Rasa if a closed case left it paused."""
        if not await self.store.needs_resume(chat_id):
            return True
        if not await self.rasa.resume(sender_id(chat_id)):
            return False
        await self.store.resumed(chat_id)
        return True

    async def on_citizen_button(self, query: CallbackQuery, button: Button) -> None:
        """Cancel a case or rate it: only the citizen whose case it is."""
        chat_id = query.message.chat.id if query.message else None
        case = await self.store.case(button.case_id)
        if case is None or case.chat_id != chat_id:
            await query.answer()
            return
        await query.answer()
        if button.action == "cancel" and case.active:
            await self.close(case, Resolution.CANCELLED, case.chat_id)
        elif (
            button.action == "rate"
            and (button.argument or "").isdigit()
            and await self.store.rate(case.id, case.chat_id, int(button.argument or 0))
        ):
            await self.refresh_card(case.id)
            text, _ = render(self.texts, "utter_rating_thanks", case.language)
            if isinstance(query.message, Message):
                try:
                    await self.bot.edit_message_text(
                        text, query.message.chat_id, query.message.message_id
                    )
                    return
                except TelegramError as error:
                    log.debug("Rating question not edited: %r", error)
            await self.courier.send(Outgoing(case.chat_id, text))
