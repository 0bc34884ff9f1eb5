"""action_answer_service answers from the register in the citizen's language."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import ActionAnswerService, ActionLifeSituation
from bot import responses

DOMAIN = {"responses": responses.load()}


def _tracker(text: str, language: str, entities: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"language": language},
        latest_message={
            "text": text,
            "intent": {"name": "ask_service"},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerService().run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


@pytest.mark.parametrize(
    ("text", "language", "name", "unknown"),
    [
        ("жеке куәлікті қалай ауыстырамын", "kk", "Жеке куәлікті ауыстыру", "ресми беттен"),
        ("как заменить удостоверение личности", "ru", "Замена удостоверения личности", "уточните"),
    ],
)
async def test_a_service_card_in_the_citizens_language(
    text: str, language: str, name: str, unknown: str
) -> None:
    messages, events = await _run(_tracker(text, language))
    [message] = messages
    assert message["response"] == "utter_service_card"
    assert message["name"] == name
    # The official page in the citizen's language.
    assert message["source"] == f"https://www.gov.kz/services/3087?lang={language}"
    assert message["checked_on"] == "23.11.2026"
    # The register does not know the document list: the answer must not invent one.
    assert unknown in message["documents"]
    assert events == [
        {"event": "slot", "timestamp": None, "name": "service_ids",
         "value": ["id_card_replacement"]},
        {"event": "slot", "timestamp": None, "name": "current_service",
         "value": "id_card_replacement"},
    ]  # fmt: skip


async def test_a_button_choice_answers_that_service() -> None:
    entities = [{"entity": "service", "value": "sole_proprietor_registration"}]
    messages, _ = await _run(_tracker("/ask_service", "ru", entities))
    assert messages[0]["name"] == "Регистрация индивидуального предпринимателя (ИП)"


async def test_nothing_found_says_so_and_answers_no_service() -> None:
    messages, events = await _run(_tracker("рецепт плова", "ru"))
    assert messages[0]["response"] == "utter_service_not_found"
    assert events[0]["value"] == []


@pytest.mark.parametrize(
    ("text", "language", "response", "field"),
    [
        ("сколько стоит замена удостоверения личности", "ru", "utter_service_fee", "fee"),
        ("жеке куәлікті ауыстыруға қанша тұрады", "kk", "utter_service_fee", "fee"),
        ("жеке куәлікті ауыстыру қанша күн алады", "kk", "utter_service_time", "processing_time"),
    ],
)
async def test_a_question_naming_a_service_and_a_fact_gets_that_fact(
    text: str, language: str, response: str, field: str
) -> None:
    [message], _ = await _run(_tracker(text, language))
    assert message["response"] == response
    assert message["value"] == message[field] and message["name"]


def _situation_tracker(text: str, language: str) -> Tracker:
    tracker = _tracker(text, language)
    tracker.latest_message["intent"] = {"name": "ask_life_situation"}
    return tracker


async def test_a_life_situation_question_that_names_one_service_gets_that_service() -> None:
    dispatcher = CollectingDispatcher()
    tracker = _situation_tracker("я потерял диплом университета что делать", "ru")
    await ActionLifeSituation().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_service_card"
    assert message["name"] == "Выдача дубликата документа о высшем и послевузовском образовании"


async def test_a_life_situation_stays_one_when_it_names_the_situation() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionLifeSituation().run(
        dispatcher, _situation_tracker("у нас родился ребенок", "ru"), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_guide_start"
    assert {"event": "slot", "timestamp": None, "name": "guide", "value": "birth"} in events
