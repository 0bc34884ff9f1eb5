"""The Telegram bridge: citizens and operators on Telegram, the dialogue in Rasa.

Citizens write to the bot in private chats; each text goes to Rasa's REST channel and the
replies come back with their buttons. When a reply's payload carries a `handoff`, the
citizen's conversation is marked in Redis and a case card is posted in the operators' chat;
from then on the citizen's messages go to that card, operators answer by replying to it, and
`/close` (as a reply) gives the citizen back to the bot. Rasa is not asked anything while a
person handles the conversation.

Everything the bridge says itself comes from `domain.yml` (see bot/responses.py), in the
citizen's language; every failure is logged and answered politely, never left silent.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import responses, settings
from bot.dialogue import DialogueClient, DialogueUnavailable
from bot.handoff import Case, HandoffStore
from bot.language import Lang, detect
from bot.privacy import configure_logging

log = logging.getLogger(__name__)

# Longer messages are not sent to the NLU model: no question needs them, and parsing them
# costs time every other citizen waits for. They still reach an operator during a handoff.
MAX_TEXT = 2000
# Commands a citizen can send, and the Rasa intent each stands for.
COMMAND_INTENTS = {"start": "/greet", "help": "/greet", "operator": "/request_human"}


def sender_id(chat_id: int) -> str:
    """The Rasa conversation id of a Telegram chat."""
    return f"tg-{chat_id}"


class Bridge:
    """Handlers of the bot's Telegram updates, with their state in Redis."""

    def __init__(
        self,
        config: settings.Settings,
        store: HandoffStore,
        dialogue: DialogueClient,
        texts: responses.Responses,
        bot: Bot,
    ) -> None:
        self.config = config
        self.store = store
        self.dialogue = dialogue
        self.texts = texts
        self.bot = bot

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Attach the handlers; the operators' chat is matched first."""
        operators = filters.Chat(chat_id=self.config.operators_chat_id)
        citizens = filters.ChatType.PRIVATE & ~operators
        app.add_handler(MessageHandler(operators & filters.UpdateType.MESSAGE, self.on_operator))
        app.add_handler(CommandHandler(list(COMMAND_INTENTS), self.on_command, citizens))
        app.add_handler(MessageHandler(citizens & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(citizens & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(citizens & ~filters.TEXT, self.on_other))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)

    # Citizens

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        chat_id = message.chat_id
        case = await self.store.active_case(chat_id)
        await self.store.remember(chat_id, "citizen", message.text)
        if case:
            await self.relay_to_operators(case, message)
            return
        if len(message.text) > MAX_TEXT:
            language = await self.language(chat_id, message.text)
            await self.say(chat_id, "utter_channel_too_long", language, limit=MAX_TEXT)
            return
        name = update.effective_user.first_name if update.effective_user else ""
        await self.converse(chat_id, message.text, name)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        name = update.effective_user.first_name if update.effective_user else ""
        case = await self.store.active_case(message.chat_id)
        if case:
            await self.relay_to_operators(case, message)
            return
        await self.converse(message.chat_id, COMMAND_INTENTS[command], name)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        case = await self.store.active_case(message.chat_id)
        if case:
            await self.relay_to_operators(case, message)
            return
        language = await self.language(message.chat_id, "")
        await self.say(message.chat_id, "utter_channel_unknown_command", language)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, documents: relayed in a handoff, else explained."""
        message = update.effective_message
        assert message is not None
        case = await self.store.active_case(message.chat_id)
        if case:
            await self.relay_to_operators(case, message)
            return
        language = await self.language(message.chat_id, message.caption or "")
        await self.say(message.chat_id, "utter_channel_unsupported", language)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        if not query.data or query.message is None:
            return
        chat_id = query.message.chat.id
        if await self.store.active_case(chat_id):
            return
        await self.converse(chat_id, query.data, query.from_user.first_name)

    async def converse(self, chat_id: int, text: str, first_name: str) -> None:
        """One turn with Rasa: send the text, deliver the replies, act on a handoff."""
        language = await self.language(chat_id, text)
        try:
            replies = await self.dialogue.send(sender_id(chat_id), text)
        except DialogueUnavailable:
            log.exception("No answer from Rasa for chat %s", chat_id)
            replies = []
        if not replies:
            await self.say(chat_id, "utter_channel_unavailable", language)
            return
        handoff: dict[str, Any] | None = None
        for reply in replies:
            payload = reply.get("custom") or {}
            language = payload.get("language") or language
            handoff = payload.get("handoff") or handoff
            if reply.get("text"):
                await self.send(chat_id, reply["text"], reply.get("buttons"))
                await self.store.remember(chat_id, "bot", reply["text"])
        await self.store.set_language(chat_id, language)
        if handoff:
            await self.open_case(chat_id, language, handoff, first_name)

    # Handoff

    async def open_case(
        self, chat_id: int, language: Lang, handoff: dict[str, Any], first_name: str
    ) -> None:
        case = await self.store.open_case(chat_id, language, handoff.get("reason", ""))
        transcript = "\n".join(await self.store.transcript(chat_id))
        card = await self.operators_say(
            "utter_operator_case",
            case_id=case.id,
            first_name=first_name or "—",
            language=language,
            reason=case.reason,
            intent=handoff.get("intent") or "—",
            confidence=f"{float(handoff.get('confidence') or 0):.2f}",
            transcript=transcript or "—",
        )
        if card:
            await self.store.attach_card(case.id, card.message_id)
        log.info("Case %s opened for chat %s (%s)", case.id, chat_id, case.reason)

    async def relay_to_operators(self, case: Case, message: Message) -> None:
        """Bring a citizen's message to their case in the operators' chat.

        The relayed copy is linked to the case too, so an operator may reply to it as well
        as to the card.
        """
        operators = self.config.operators_chat_id
        try:
            if message.text:
                relayed_id = (
                    await self.bot.send_message(
                        operators, message.text, reply_to_message_id=case.card_message_id
                    )
                ).message_id
            else:
                relayed_id = (
                    await message.copy(operators, reply_to_message_id=case.card_message_id)
                ).message_id
        except TelegramError:
            log.exception("Could not relay a message of chat %s to case %s", case.chat_id, case.id)
            return
        await self.store.attach_card(case.id, relayed_id)

    # Operators

    async def on_operator(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or user.id not in self.config.operator_ids:
            log.warning("Ignored a message in the operators' chat from a non-operator")
            return
        replied = message.reply_to_message
        case = await self.store.case_for_card(replied.message_id) if replied else None
        if case is None or case.status == "closed":
            await self.operators_say("utter_operator_not_a_case", reply_to=message.message_id)
            return
        text = message.text or ""
        if text.split()[:1] == ["/close"] or text.startswith("/close@"):
            await self.close_case(case, user.id)
            return
        if text:
            await self.say(case.chat_id, "utter_channel_operator_message", case.language, text=text)
            await self.store.remember(case.chat_id, "operator", text)
        else:
            try:
                await message.copy(case.chat_id)
            except TelegramError:
                log.exception("Could not relay an operator's attachment to case %s", case.id)

    async def close_case(self, case: Case, operator_id: int) -> None:
        await self.store.close(case, operator_id)
        await self.say(case.chat_id, "utter_channel_handoff_closed", case.language)
        await self.operators_say(
            "utter_operator_case_closed", case_id=case.id, reply_to=case.card_message_id
        )
        log.info("Case %s closed by operator %s", case.id, operator_id)

    # Sending

    async def send(
        self, chat_id: int, text: str, buttons: list[dict[str, str]] | None = None
    ) -> Message | None:
        """Send plain text (never parsed as Markdown or HTML), with inline buttons."""
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(b["title"], callback_data=b["payload"])] for b in buttons]
            )
            if buttons
            else None
        )
        try:
            return await self.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramError:
            log.exception("Could not send a message to chat %s", chat_id)
            return None

    async def say(self, chat_id: int, response: str, language: Lang, /, **values: Any) -> None:
        await self.send(chat_id, responses.text(self.texts, response, language, **values))

    async def operators_say(
        self, response: str, reply_to: int | None = None, **values: Any
    ) -> Message | None:
        text = responses.text(self.texts, response, self.config.operator_language, **values)
        try:
            return await self.bot.send_message(
                self.config.operators_chat_id, text, reply_to_message_id=reply_to
            )
        except TelegramError:
            log.exception("Could not post to the operators' chat")
            return None

    async def language(self, chat_id: int, text: str) -> Lang:
        """The citizen's language: what this message says, else what they last used."""
        detected = detect(text).language if text else None
        return detected or await self.store.language(chat_id) or "kk"

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Update failed: %r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            chat_id = update.effective_chat.id
            if chat_id != self.config.operators_chat_id:
                language = await self.store.language(chat_id) or "kk"
                await self.say(chat_id, "utter_channel_unavailable", language)


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


def main() -> None:
    config = settings.load()
    configure_logging(config.log_level)
    # httpx logs every request URL, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = application(config)
    store = HandoffStore(Redis.from_url(config.redis_url))
    bridge = Bridge(config, store, DialogueClient(config.rasa_url), responses.load(), app.bot)
    bridge.register(app)
    log.info("Telegram bridge polling %s", config.bot_api_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
