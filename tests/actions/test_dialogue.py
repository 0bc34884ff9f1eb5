"""The dialogue's own actions: "did you mean …?", the chosen topic, the language asked for."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue import ActionChooseTopic, ActionClarify, ActionSwitchLanguage
from bot import responses

DOMAIN = {"responses": responses.load()}


def _tracker(
    text: str,
    language: str = "ru",
    parse: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": "nlu_fallback"}, "entities": entities or []}
    return Tracker(
        sender_id="test",
        slots={"language": language, **(slots or {})},
        latest_message={**latest, **(parse or {})},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


UNSURE = {
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "ask_fee", "confidence": 0.45},
        {"name": "faq", "confidence": 0.40},
        {"name": "greet", "confidence": 0.10},
    ],
    "response_selector": {
        "default": {"ranking": [{"intent_response_key": "faq/hkko", "confidence": 1.0}]}
    },
}


async def test_unsure_offers_the_close_topics_by_their_labels_and_a_person() -> None:
    [message], events = await _run(ActionClarify(), _tracker("цон сколько", "ru", UNSURE))
    assert message["response"] == "utter_clarify"
    assert [b["title"] for b in message["buttons"]] == [
        "Стоимость услуги", "Часы работы и адреса ЦОН", "Написать оператору",
    ]  # fmt: skip
    assert message["buttons"][0]["payload"] == '/choose_topic{"topic": "ask_fee"}'
    assert message["buttons"][-1]["payload"] == "/request_human"
    assert events == [{"event": "slot", "timestamp": None, "name": "clarify_text",
                       "value": "цон сколько"}]  # fmt: skip


async def test_the_buttons_are_in_kazakh_for_a_kazakh_conversation() -> None:
    [message], _ = await _run(ActionClarify(), _tracker("хқко қанша", "kk", UNSURE))
    assert [b["title"] for b in message["buttons"]][-1] == "Операторға жазу"
    assert message["buttons"][0]["title"] == "Қызметтің құны"


async def test_no_idea_says_so_and_offers_a_person() -> None:
    parse = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.6},
                                {"name": "greet", "confidence": 0.05}]}  # fmt: skip
    [message], _ = await _run(ActionClarify(), _tracker("ыфвафыва", "ru", parse))
    assert message["response"] == "utter_default"


async def test_a_picked_topic_is_answered_for_the_question_first_asked() -> None:
    tracker = _tracker(
        '/choose_topic{"topic": "ask_fee"}', "ru",
        entities=[{"entity": "topic", "value": "ask_fee"}],
        slots={"clarify_text": "замена удостоверения личности сколько", "current_service": None},
    )  # fmt: skip
    [message], events = await _run(ActionChooseTopic(), tracker)
    assert message["response"] == "utter_service_fee"
    assert message["name"] == "Замена удостоверения личности"
    assert {"event": "slot", "timestamp": None, "name": "clarify_text", "value": None} in events


async def test_a_picked_faq_topic_gets_its_answer() -> None:
    entities = [{"entity": "topic", "value": "faq/hkko"}]
    [message], _ = await _run(ActionChooseTopic(), _tracker("/choose_topic", entities=entities))
    assert message["response"] == "utter_faq/hkko"


async def test_a_language_asked_for_by_name_is_switched_to_and_kept() -> None:
    [message], events = await _run(ActionSwitchLanguage(), _tracker("можно на казахском", "ru"))
    assert message["text"].startswith("Жарайды, енді қазақша жауап беремін.")
    assert [(e["name"], e["value"]) for e in events] == [
        ("language", "kk"), ("language_choice", "kk"),
    ]  # fmt: skip


async def test_the_language_button_switches_and_an_unnamed_language_is_asked_for() -> None:
    entities = [{"entity": "language", "value": "ru"}]
    tracker = _tracker('/switch_language{"language": "ru"}', "kk", entities=entities)
    [message], events = await _run(ActionSwitchLanguage(), tracker)
    assert message["text"].startswith("Хорошо, теперь отвечаю по-русски.")
    [message], events = await _run(ActionSwitchLanguage(), _tracker("поменяй язык", "ru"))
    assert message["response"] == "utter_language_choose" and events == []


async def test_unsure_about_a_message_that_names_a_service_offers_that_service() -> None:
    parse = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.6},
                                {"name": "ask_service", "confidence": 0.24},
                                {"name": "out_of_scope", "confidence": 0.21}]}  # fmt: skip
    text = "спецхқко-да емтиханға кезекті қалай брондаймын"
    [message], _ = await _run(ActionClarify(), _tracker(text, "kk", parse))
    assert message["response"] == "utter_clarify"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == '/ask_service{"service": "driving_exam_booking"}'
    assert '/choose_topic{"topic": "ask_service"}' not in payloads  # the service says more
    assert payloads[-1] == "/request_human"
