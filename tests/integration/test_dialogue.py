"""The trained bilingual model through Rasa's REST channel, as the bridge sees it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from komekshi.core.language import Lang
from tests.conftest import card_title, service
from tests.integration.conftest import Chat
from tools.dev.stack import Stack


def _sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    ("text", "language", "word"),
    [
        ("Сәлеметсіз бе!", "kk", "Сәлеметсіз бе"),
        ("salemetsiz be", "kk", "Сәлеметсіз бе"),
        ("Здравствуйте", "ru", "Здравствуйте"),
        ("dobryi den", "ru", "Здравствуйте"),
    ],
)
def test_greeting_is_answered_in_the_citizens_language(
    chat: Chat, text: str, language: str, word: str
) -> None:
    [reply] = chat(_sender(), text)
    assert reply["text"].startswith(word)
    assert "виртуал" in reply["text"]  # it says it is a virtual assistant
    payload = reply["custom"]
    assert payload["language"] == language
    assert payload["intent"]["name"] == "greet"
    assert payload["intent"]["confidence"] > 0.5
    assert payload["handoff"] is None


SERVICES: list[tuple[str, Lang, str]] = [
    ("бала тууын қалай тіркеймін", "kk", "birth_registration"),
    ("у нас родился сын, как получить свидетельство о рождении", "ru", "birth_registration"),
    ("жеке куәлігімнің мерзімі бітіп қалды, не істеймін", "kk", "id_card_replacement"),
    ("где поменять удостоверение личности", "ru", "id_card_replacement"),
    ("jeke kasipker bolyp qalai tirkelemin", "kk", "sole_proprietor_registration"),
    ("подскажите как зарегистрироваться индивидуальным предпринимателем", "ru",
     "sole_proprietor_registration"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "language", "service_id"), SERVICES)
def test_services_are_answered_from_the_register(
    chat: Chat, text: str, language: Lang, service_id: str
) -> None:
    replies = chat(_sender(), text)
    answer = "\n".join(reply["text"] for reply in replies)
    assert card_title(service_id, language) in answer
    assert service(service_id).page_in(language) in answer  # the official page
    payload = replies[0]["custom"]
    assert payload["language"] == language
    assert payload["intent"]["name"] == "ask_service"
    assert payload["service_codes"] == [service_id]


@pytest.mark.parametrize(
    ("text", "language", "offer"),
    [
        ("ертең ауа райы қандай болады", "kk", "операторға"),
        ("расскажи анекдот про кота", "ru", "оператору"),
    ],
)
def test_out_of_scope_says_so_and_offers_an_operator(
    chat: Chat, text: str, language: str, offer: str
) -> None:
    [reply] = chat(_sender(), text)
    assert reply["custom"]["intent"]["name"] == "out_of_scope"
    assert reply["custom"]["language"] == language
    assert offer in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["/request_human"]


@pytest.mark.parametrize(
    ("text", "language"), [("ты бот или человек?", "ru"), ("сіз адамсыз ба әлде бот па", "kk")]
)
def test_it_says_it_is_a_bot_and_a_person_is_available(
    chat: Chat, text: str, language: str
) -> None:
    sender = _sender()
    chat(sender, "Сәлеметсіз бе" if language == "kk" else "Здравствуйте")
    [reply] = chat(sender, text)
    assert reply["custom"]["intent"]["name"] == "bot_challenge"
    assert reply["custom"]["language"] == language
    assert "бот" in reply["text"]
    assert reply["buttons"][0]["payload"] == "/request_human"


@pytest.mark.parametrize(
    ("text", "language"), [("операторға қосыңызшы", "kk"), ("соедините с оператором", "ru")]
)
def test_asking_for_a_person_hands_off(chat: Chat, text: str, language: str) -> None:
    [reply] = chat(_sender(), text)
    payload = reply["custom"]
    assert payload["language"] == language
    assert payload["handoff"]["reason"] == "citizen_request"
    assert payload["handoff"]["intent"] == "request_human"


def test_the_conversation_keeps_its_language_on_an_ambiguous_word(chat: Chat) -> None:
    sender = _sender()
    chat(sender, "Здравствуйте")
    [reply] = chat(sender, "оператор")
    assert reply["custom"]["language"] == "ru"
    assert "оператору" in reply["text"]


def test_a_chosen_language_wins_over_the_language_of_the_message(rasa_stack: Stack) -> None:
    """The channel sends the language a citizen chose with every message (komekshi/channel/)."""
    webhook = f"{rasa_stack.config.rasa_url}/webhooks/rest/webhook"
    body = {"sender": _sender(), "message": "как открыть ИП", "metadata": {"language": "kk"}}
    replies = httpx.post(webhook, json=body, timeout=60).json()
    assert replies[0]["custom"]["language"] == "kk"
    assert card_title("sole_proprietor_registration", "kk") in replies[0]["text"]


@pytest.mark.parametrize(
    ("text", "language", "confirmation"),
    [
        ("можно на казахском пожалуйста", "kk", "енді қазақша жауап беремін"),
        ("маған орысша жазыңызшы", "ru", "теперь отвечаю по-русски"),
    ],
)
def test_asking_for_a_language_switches_to_it(
    chat: Chat, text: str, language: str, confirmation: str
) -> None:
    [reply] = chat(_sender(), text)
    assert reply["custom"]["intent"]["name"] == "switch_language"
    assert reply["custom"]["language"] == language
    assert reply["custom"]["language_choice"] == language
    assert confirmation in reply["text"]


@pytest.mark.parametrize("text", ["ывапролдж фывапр", "asdfgh jkl", "ккккк ббб"])
def test_gibberish_is_not_guessed_and_a_person_is_offered(chat: Chat, text: str) -> None:
    """No word the model knows: it does not guess (rasa_server/components/intent_classifier.py)."""
    replies = chat(_sender(), text)
    assert replies[0]["custom"]["intent"]["name"] == "nlu_fallback"
    assert replies[-1]["buttons"][-1]["payload"] == "/request_human"
