"""Public-service knowledge through the trained bot: register, follow-ups, guides, FAQ."""

from __future__ import annotations

import itertools
import uuid

import pytest

from komekshi.knowledge import responses
from komekshi.knowledge.content import short_name
from komekshi.knowledge.register import Register
from tests.integration.conftest import Chat

TEXTS = responses.load()

# The register the action server reads (REGISTER_PATH, by default register/).
REGISTER = Register.load()


def _sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _text(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


@pytest.mark.parametrize(
    ("question", "follow_up", "language", "fact"),
    [
        ("жеке куәлікті қалай ауыстырамын", "қанша күнде дайын болады?", "kk", "processing_time"),
        ("как получить справку о несудимости", "а сколько это стоит?", "ru", "fee"),
        ("баланың тууын қалай тіркеймін", "қандай құжаттар керек?", "kk", "documents"),
        ("как встать в очередь в детский сад", "онлайн можно?", "ru", "online"),
    ],
)
def test_follow_ups_refer_to_the_service_just_answered(
    chat: Chat, question: str, follow_up: str, language: str, fact: str
) -> None:
    sender = _sender()
    first = chat(sender, question)
    service_id = first[0]["custom"]["service_codes"][0]
    service = REGISTER.get(service_id)
    assert service is not None
    replies = chat(sender, follow_up)
    assert replies[0]["custom"]["answer"]["fact"] == fact
    assert replies[0]["custom"]["service_codes"] == [service_id]
    assert replies[0]["custom"]["language"] == language
    assert _text(replies).startswith(f"«{service.name[language]}»")  # type: ignore[index]


def test_a_follow_up_without_a_service_asks_which(chat: Chat) -> None:
    replies = chat(_sender(), "а сколько это стоит?")
    assert "О какой услуге речь?" in _text(replies)


@pytest.mark.parametrize(
    ("start", "language", "answers", "done"),
    [
        ("бала туды енді не істеу керек", "kk", ["/deny", "/affirm"], "utter_guide_done"),
        ("у нас родился ребенок что делать", "ru", ["/affirm", "/deny"], "utter_guide_done"),
    ],
)  # fmt: skip
def test_the_birth_guide_walks_through_its_services(
    chat: Chat, start: str, language: str, answers: list[str], done: str
) -> None:
    guide = REGISTER.situation("birth")
    assert guide is not None
    sender = _sender()
    replies = chat(sender, start)
    for step, answer in zip(guide.guide, itertools.cycle(answers)):
        assert step.question[language] in _text(replies)
        assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny"]
        replies = chat(sender, answer)
        service = REGISTER.get(step.service)
        assert service is not None
        card_shown = f"«{service.name[language]}»" in _text(replies)
        assert card_shown == (answer == "/deny")
    assert responses.text(TEXTS, done, language) in _text(replies)


def test_the_guide_can_be_left(chat: Chat) -> None:
    sender = _sender()
    chat(sender, "у нас родился ребенок что делать")
    replies = chat(sender, "стоп")
    assert responses.text(TEXTS, "utter_guide_left", "ru") in _text(replies)
    replies = chat(sender, "спасибо")
    assert responses.text(TEXTS, "utter_thanks", "ru") in _text(replies)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("вызовите скорую, человеку плохо", "ru"),
        ("хочу покончить с собой", "ru"),
        ("үйде өрт шықты", "kk"),
        ("өзімді өлтіргім келеді", "kk"),
        ("жедел жәрдем керек тез", "kk"),
    ],
)
def test_an_emergency_gets_the_numbers_first(chat: Chat, text: str, language: str) -> None:
    replies = chat(_sender(), text)
    first = str(replies[0]["text"])
    assert first.startswith("🚨")
    for number in ("112", "101", "102", "103", "104"):
        assert number in first
    assert replies[0]["custom"]["language"] == language
    assert replies[0]["custom"]["intent"]["name"] == "emergency"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("забыл пароль от егов", "egov_password"),
        ("eGov құпиясөзін ұмытып қалдым", "egov_password"),
        ("ЦОН сенбіде жұмыс істей ме", "hkko"),
        ("когда ответят на мое обращение в госорган", "appeals"),
        ("1414 деген не", "call_center"),
    ],
)
def test_faq_answers(chat: Chat, text: str, topic: str) -> None:
    replies = chat(_sender(), text)
    language = replies[0]["custom"]["language"]
    assert replies[0]["custom"]["answer"]["kind"] == "faq"
    assert replies[0]["custom"]["answer"]["id"] == topic
    expected = responses.text(TEXTS, f"utter_faq/{topic}", language)
    assert _text(replies).startswith(expected[:60])


@pytest.mark.parametrize(
    ("text", "language", "situation"),
    [("кәсіпкерлікке қатысты қызметтер", "kk", "entrepreneurship"),
     ("какие услуги для предпринимателей", "ru", "entrepreneurship")],
)  # fmt: skip
def test_a_life_situation_lists_its_services(
    chat: Chat, text: str, language: str, situation: str
) -> None:
    replies = chat(_sender(), text)
    titles = {b["title"] for b in replies[-1].get("buttons", [])}
    expected = {short_name(s.name)[language] for s in REGISTER.services_of(situation)}
    assert expected and titles == expected
