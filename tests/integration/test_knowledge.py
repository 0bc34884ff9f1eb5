"""Public-service knowledge through the trained bot: register, follow-ups, guides, FAQ."""

from __future__ import annotations

import itertools
import uuid

import pytest
import yaml

from bot.register import Register
from bot.settings import quality
from tests.conftest import ROOT
from tests.integration.conftest import Chat

# The register the action server reads (REGISTER_PATH, by default register/).
REGISTER = Register.load()


def _sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _text(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


# Two questions per language for every service, as citizens ask them (not the register's
# own names and synonyms, which the model is trained on).
QUESTIONS = yaml.safe_load(
    (ROOT / "tests" / "data" / "service_questions.yml").read_text(encoding="utf-8")
)["services"]


def test_every_service_has_its_questions() -> None:
    assert set(QUESTIONS) == {service.id for service in REGISTER.services}


def _reaches(chat: Chat, service_id: str, language: str, question: str) -> str | None:
    """None when the question leads to the service's card in its language (straight, or by
    the button of a "which one?" or FAQ answer); else what the citizen got instead."""
    sender = _sender()
    chat(sender, "Сәлеметсіз бе" if language == "kk" else "Здравствуйте")
    replies = chat(sender, question)
    service = REGISTER.get(service_id)
    assert service is not None
    if replies[0]["custom"]["service_codes"] == []:
        buttons = [b for reply in replies for b in reply.get("buttons", [])]
        chosen = [b for b in buttons if f'"{service.id}"' in b["payload"]]
        if not chosen:
            intent = replies[0]["custom"]["intent"]["name"]
            return f"{intent}: {_text(replies)[:120]!r}"
        replies = chat(sender, chosen[0]["payload"])
    if replies[0]["custom"]["service_codes"] != [service_id]:
        return f"another service: {replies[0]['custom']['service_codes']}"
    text = _text(replies)
    assert f"«{service.name[language]}»" in text
    assert service.source_in(language) in text
    assert replies[0]["custom"]["language"] == language
    return None


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_services_are_reachable_by_how_citizens_ask(chat: Chat, language: str) -> None:
    """Two questions per service, as citizens ask them: the share that reaches the
    service's card must meet the gate of quality.yml (all of them)."""
    misses = {
        f"{service_id}: {question}": miss
        for service_id, questions in QUESTIONS.items()
        for question in questions[language]
        if (miss := _reaches(chat, service_id, language, question))
    }
    asked = sum(len(questions[language]) for questions in QUESTIONS.values())
    reached = 1 - len(misses) / asked
    gate = quality()["register"]["service_reachability"]
    report = "\n".join(f"{question} -> {miss}" for question, miss in misses.items())
    print(f"{language}: {reached:.1%} of {asked} questions reach their service\n{report}")
    assert reached >= gate, f"{reached:.1%} < {gate:.0%}; not reached:\n{report}"


@pytest.mark.parametrize(
    ("question", "follow_up", "language", "expected"),
    [
        ("жеке куәлікті қалай ауыстырамын", "қанша тұрады?", "kk", "— төлем: мемлекеттік баж"),
        ("как заменить удостоверение личности", "а сколько это стоит?", "ru",
         "— стоимость: государственная пошлина"),
        ("баланың тууын қалай тіркеймін", "қандай құжаттар керек?", "kk",
         "— қажетті құжаттар:"),
        ("как зарегистрировать рождение ребенка", "где подать?", "ru", "— куда обращаться:"),
    ],
)  # fmt: skip
def test_follow_ups_refer_to_the_service_just_answered(
    chat: Chat, question: str, follow_up: str, language: str, expected: str
) -> None:
    sender = _sender()
    first = chat(sender, question)
    service_id = first[0]["custom"]["service_codes"][0]
    replies = chat(sender, follow_up)
    assert expected in _text(replies)
    assert replies[0]["custom"]["service_codes"] == [service_id]
    assert replies[0]["custom"]["language"] == language


def test_a_follow_up_without_a_service_asks_which(chat: Chat) -> None:
    replies = chat(_sender(), "а сколько это стоит?")
    assert "О какой услуге речь?" in _text(replies)


@pytest.mark.parametrize(
    ("start", "language", "answers", "done"),
    [
        ("бала туды енді не істеу керек", "kk", ["/deny", "/affirm"],
         "Барлық қадамдарды қарап шықтық"),
        ("у нас родился ребенок что делать", "ru", ["/affirm", "/deny"],
         "Мы прошли все шаги"),
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
    assert done in _text(replies)


def test_the_guide_can_be_left(chat: Chat) -> None:
    sender = _sender()
    chat(sender, "у нас родился ребенок что делать")
    replies = chat(sender, "стоп")
    assert "остановили" in _text(replies)
    replies = chat(sender, "спасибо")
    assert "Рад помочь" in _text(replies)


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
    ("text", "expected"),
    [
        ("забыл пароль от егов", "«Забыли пароль?»"),
        ("eGov құпиясөзін ұмытып қалдым", "«Құпиясөзді ұмыттыңыз ба?»"),
        ("истек срок эцп что делать", "pass_onlineecp"),
        ("ЦОН сенбіде жұмыс істей ме", "ХҚКО бөлімдерінің жұмыс кестесі"),
        ("когда ответят на мое обращение в госорган", "15 дней"),
        ("1414 деген не", "1414 — мемлекеттік қызметтер бойынша"),
    ],
)
def test_faq_answers(chat: Chat, text: str, expected: str) -> None:
    replies = chat(_sender(), text)
    assert expected in _text(replies)


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
    expected = {s.name[language] for s in REGISTER.services_of(situation)}
    assert expected and titles == expected
