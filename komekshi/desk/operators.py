"""The operators' handlers: what operators write and press in the operators' chat.

Only operators may act on a case, and only in their own chat: every handler here goes through
one guard, `operators_only`, which lets an update through when it comes from the operators'
chat (OPERATORS_CHAT_ID) and from an operator (listed in OPERATOR_IDS, or an admin of the
group), and refuses it otherwise, so no handler can forget to ask. Behind the guard: a reply
in a case's topic or to its card goes to the citizen, `/close` closes the case, and the
card's buttons claim it (one operator holds it), give it back to the queue, hand it to a
colleague and close it with a resolution (komekshi/desk/desk.py does what they decide).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from komekshi.channel.outbox import Outgoing
from komekshi.desk.cards import Button, name
from komekshi.desk.cases import OPERATOR_RESOLUTIONS, Case, Resolution, Status
from komekshi.desk.desk import Desk

log = logging.getLogger(__name__)

OperatorHandler = Callable[["Operators", Update, User], Coroutine[Any, Any, None]]
Handler = Callable[["Operators", Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def operators_only(handler: OperatorHandler) -> Handler:
    """The operator guard: the handler runs for an operator in the operators' chat, else not.

    Anyone else's button gets an alert that only operators may press it, and their message is
    ignored (operators' chats have other members); an update from elsewhere is dropped.
    Operators are named on the way in, for the cards and transfers.
    """

    @functools.wraps(handler)
    async def guarded(self: Operators, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user, query = update.effective_chat, update.effective_user, update.callback_query
        if chat is None or chat.id != self.desk.config.operators_chat_id or user is None:
            if query:
                await query.answer()
            return
        if not await self.desk.is_operator(user):
            if query:
                alert = self.desk.cards.text("utter_operator_not_allowed")
                await query.answer(alert, show_alert=True)
            else:
                log.info("Ignored a message in the operators' chat from non-operator %s", user.id)
            return
        await self.desk.store.name_operator(user.id, user.first_name)
        await handler(self, update, user)

    return guarded


@dataclass(frozen=True)
class Notice:
    """Where to answer an operator's message: in reply to it, in its forum topic."""

    reply_to: int
    thread_id: int | None


class Operators:
    """The operators' Telegram handlers, each behind `operators_only`."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.store = desk.store
        self.cards = desk.cards

    @operators_only
    async def on_message(self, update: Update, user: User) -> None:
        """An operator wrote in the operators' chat: to a case, a command, or to colleagues."""
        message = update.effective_message
        if message is None:
            return
        case = await self._case_of(message)
        words = (message.text or "").split()
        command = words[0].split("@")[0].lower() if words and words[0].startswith("/") else ""
        notice = Notice(message.message_id, message.message_thread_id)
        if case is None:
            # Operators talk among themselves in the group too; only a command needs a case.
            if command:
                await self._notify(notice, self.cards.text("utter_operator_not_a_case"))
            return
        if command and command != "/close":
            # Never relayed: a mistyped command is not meant for the citizen.
            await self._notify(notice, self.cards.text("utter_operator_unknown_command"))
            return
        refusal = await self._refusal(case, user, "close" if command else "reply")
        if refusal:
            await self._notify(notice, refusal)
        elif not command:
            await self.desk.relay_to_citizen(case, message)
        elif len(words) > 1 and words[1] in OPERATOR_RESOLUTIONS:
            await self.desk.close(case, Resolution(words[1]), user.id)
        else:
            await self._ask_resolution(case)

    @operators_only
    async def on_button(self, update: Update, user: User) -> None:
        """Claim, give back, transfer or close, pressed on a card or a question about one."""
        query = update.callback_query
        if query is None:
            return
        button = Button.parse(query.data or "")
        case = await self.store.case(button.case_id) if button else None
        if button is None or case is None or button.action in ("cancel", "rate"):
            await query.answer()
            return
        alert = await self._refusal(case, user, button.action)
        if alert is None:
            alert = await self._act(case, user, button, query)
        await query.answer(alert, show_alert=bool(alert))

    async def _case_of(self, message: Message) -> Case | None:
        """The case a message in the operators' chat is about: by its topic or its reply."""
        if message.is_topic_message and message.message_thread_id:
            case = await self.store.case_for_topic(message.message_thread_id)
            if case:
                return case
        replied = message.reply_to_message
        return await self.store.case_for_message(replied.message_id) if replied else None

    async def _refusal(self, case: Case, user: User, action: str) -> str | None:
        """Why an operator may not do `action` to a case now; None if they may.

        Its holder does everything; anyone may claim a waiting case, or close it (spam);
        nobody else may write to the citizen, give the case back or hand it on.
        """
        if not case.active:
            return self.cards.text("utter_operator_case_is_closed", case_id=case.id)
        if case.status == Status.CLAIMED:
            if case.operator_id == user.id or action == "claim":
                return None
            operator = name(await self.store.operator_names(), case.operator_id)
            return self.cards.text("utter_operator_held_by", case_id=case.id, operator=operator)
        if action in ("claim", "close"):
            return None
        return self.cards.text("utter_operator_claim_first", case_id=case.id)

    async def _notify(self, notice: Notice, text: str) -> None:
        """Answer an operator's message, in its thread."""
        await self.desk.courier.send(
            Outgoing(
                self.desk.config.operators_chat_id,
                text,
                reply_to=notice.reply_to,
                thread_id=notice.thread_id,
            )
        )

    async def _ask_resolution(self, case: Case) -> None:
        await self.desk.tell_operators(
            "utter_operator_close_choose",
            case,
            buttons=self.cards.resolutions(case),
            case_id=case.id,
        )

    async def _act(
        self, case: Case, user: User, button: Button, query: CallbackQuery
    ) -> str | None:
        """Do what an operator's button says; an alert for them if it could not be done."""
        if button.action == "claim":
            won, holder = await self.store.claim(case.id, user.id)
            if not won:
                operator = name(await self.store.operator_names(), holder)
                return self.cards.text("utter_operator_held_by", case_id=case.id, operator=operator)
            log.info("Case %s claimed by operator %s", case.id, user.id)
            await self.desk.refresh_card(case.id)
            await self.desk.say(case.chat_id, "utter_handoff_claimed", case.language)
        elif button.action == "release":
            await self.store.release(case.id, user.id)
            await self.desk.refresh_card(case.id)
        elif button.action == "close" and button.argument in OPERATOR_RESOLUTIONS:
            await self._remove_buttons(query.message)
            await self.desk.close(case, Resolution(button.argument), user.id)
        elif button.action == "close":
            await self._ask_resolution(case)
        elif button.argument is None:
            return await self._ask_colleague(case, user)
        else:
            return await self._transfer(case, user, int(button.argument), query.message)
        return None

    async def _ask_colleague(self, case: Case, user: User) -> str | None:
        colleagues = await self.desk.colleagues(user)
        if not colleagues:
            return self.cards.text("utter_operator_no_colleagues")
        buttons = self.cards.colleagues(case, colleagues, await self.store.operator_names())
        await self.desk.tell_operators(
            "utter_operator_transfer_choose", case, buttons=buttons, case_id=case.id
        )
        return None

    async def _transfer(self, case: Case, user: User, colleague: int, pressed: Any) -> str | None:
        if colleague not in await self.desk.colleagues(user) or not await self.store.transfer(
            case.id, user.id, colleague
        ):
            return self.cards.text("utter_operator_no_colleagues")
        await self._remove_buttons(pressed)
        await self.desk.refresh_card(case.id)
        operator = name(await self.store.operator_names(), colleague)
        await self.desk.tell_operators(
            "utter_operator_transferred", case, case_id=case.id, operator=operator
        )
        log.info("Case %s transferred from %s to %s", case.id, user.id, colleague)
        return None

    async def _remove_buttons(self, pressed: Any) -> None:
        """A question answered (resolution, colleague) loses its buttons."""
        if isinstance(pressed, Message):
            try:
                await self.desk.bot.edit_message_reply_markup(
                    pressed.chat_id, pressed.message_id, reply_markup=InlineKeyboardMarkup([])
                )
            except TelegramError as error:
                log.debug("Buttons not removed: %r", error)
