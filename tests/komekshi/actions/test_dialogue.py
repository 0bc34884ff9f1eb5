"""FAQ answers, life situations and guides, "did you mean …?", "not that one", language."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.clarify import ActionChooseTopic, ActionClarify, ActionCorrect
from komekshi.actions.handoff import ActionHandoff
from komekshi.actions.language import ActionSwitchLanguage
from komekshi.actions.situations import (
    ActionGuideInterrupt,
    ActionLifeSituation,
    ValidateGuideForm,
)
from komekshi.actions.topics import ActionAnswerFaq
from tests.komekshi.actions.conftest import DOMAIN, run, tracker


async def test_an_faq_answer_makes_its_services_the_subject() -> None:
    messages, slots = await run(
        ActionAnswerFaq(), tracker("цон когда работает", intent="faq", classes={"faq/hkko": 1.0})
    )
    assert messages[0]["response"] == "utter_faq/hkko"
    assert slots["subject"] == "faq:hkko" and slots["subject_services"] == ["id_card_replacement"]
    assert slots["answer"]["kind"] == "faq" and slots["answer"]["id"] == "hkko"


async def test_news_of_a_birth_opens_its_guide_with_congratulations() -> None:
    classes = {"ask_life_situation/birth": 0.9, "ask_life_situation/family": 0.1}
    state = tracker("у нас родилась двойня!", intent="ask_life_situation", classes=classes)
    messages, slots = await run(ActionLifeSituation(), state)
    assert [m["response"] for m in messages] == ["utter_situation_opening", "utter_guide_start"]
    assert messages[0]["opening"] == "Поздравляем!"
    assert slots["guide"] == "birth" and slots["guide_step"] == 0
    assert slots["subject_services"] == ["birth_registration"]
    assert slots["answer"] == {"kind": "situation", "id": "birth", "fact": None, "options": []}


async def test_a_situation_without_a_guide_lists_its_services() -> None:
    state = tracker("семейные вопросы", intent="ask_life_situation",
                    classes={"ask_life_situation/family": 1.0})  # fmt: skip
    messages, slots = await run(ActionLifeSituation(), state)
    assert messages[0]["response"] == "utter_life_situation_services"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/ask_service{"service": "passport_issuance"}'
    ]
    assert slots["subject_services"] == ["passport_issuance"]


async def test_no_situation_offers_the_official_ones() -> None:
    messages, slots = await run(ActionLifeSituation(), tracker("жизненная ситуация", intent="x"))
    assert messages[0]["response"] == "utter_life_situation_choose"
    assert len(messages[0]["buttons"]) == 2 and slots["answer"]["kind"] == "choice"


async def _guide(
    value: str, slots: dict[str, object]
) -> tuple[list[dict[str, object]], dict[str, object]]:
    dispatcher = CollectingDispatcher()
    state = tracker("нет ещё", slots={"guide": "birth", **slots})
    result = await ValidateGuideForm().validate_guide_answer(value, dispatcher, state, DOMAIN)
    return dispatcher.messages, result


async def test_a_step_not_done_shows_its_card_and_becomes_the_subject() -> None:
    messages, slots = await _guide(
        "no", {"guide_step": 0, "subject_services": ["birth_registration"]}
    )
    assert messages[0]["response"] == "utter_service_card"
    assert slots["answer"]["id"] == "birth_registration"
    assert slots["subject_services"] == ["birth_registration"]
    assert slots["guide_step"] == 1 and slots["guide_answer"] is None


async def test_a_step_done_goes_on_and_the_subject_follows_the_steps_until_a_card() -> None:
    messages, slots = await _guide(
        "yes", {"guide_step": 0, "subject_services": ["birth_registration"]}
    )
    assert messages[0]["response"] == "utter_guide_step_done"
    assert slots["answer"]["kind"] == "guide_next"
    assert slots["subject_services"] == ["id_card_replacement"]
    # After a card was shown, the subject stays the card's service.
    _, slots = await _guide("yes", {"guide_step": 0, "subject_services": ["passport_issuance"]})
    assert "subject_services" not in slots
    # The last step: the guide is done.
    _, slots = await _guide("yes", {"guide_step": 1, "subject_services": []})
    assert slots["answer"]["kind"] == "guide_done" and slots["guide_answer"] == "done"


async def test_did_you_mean_offers_the_plausible_services_by_name_and_a_person() -> None:
    state = tracker("удостак или паспорт", intent="nlu_fallback", confidence=0.4,
                    classes={"ask_service/id_card_replacement": 0.5,
                             "ask_service/passport_issuance": 0.45,
                             "ask_service/eds_issue": 0.05})  # fmt: skip
    state.latest_message["intent_ranking"].insert(0, {"name": "nlu_fallback", "confidence": 0.4})
    state.latest_message["intent_ranking"][1]["name"] = "ask_service"
    messages, slots = await run(ActionClarify(), state)
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [
        "Замена удостоверения личности", "Получение паспорта", "Написать оператору",
    ]  # fmt: skip
    assert slots["answer"]["options"] == [
        "ask_service/id_card_replacement", "ask_service/passport_issuance",
    ]  # fmt: skip
    assert slots["clarify_text"] == "удостак или паспорт"


async def test_nothing_plausible_says_so_and_offers_a_person() -> None:
    state = tracker("ывапролдж", intent="nlu_fallback", confidence=0.05)
    messages, slots = await run(ActionClarify(), state)
    assert messages[0]["response"] == "utter_default"
    assert slots["answer"]["kind"] == "not_understood"


async def test_not_that_one_offers_the_other_candidates() -> None:
    state = tracker("нет, я про другое", intent="correct",
                    slots={"alternatives": ["passport_issuance", "eds_issue"]})  # fmt: skip
    messages, slots = await run(ActionCorrect(), state)
    assert [b["payload"] for b in messages[0]["buttons"]][:2] == [
        '/ask_service{"service": "passport_issuance"}',
        '/ask_service{"service": "eds_issue"}',
    ]
    assert slots["alternatives"] == []
    messages, _ = await run(ActionCorrect(), tracker("не то", intent="correct"))
    assert messages[0]["response"] == "utter_correct_rephrase"


async def test_a_picked_faq_topic_is_answered() -> None:
    state = tracker('/choose_topic{"topic": "faq/hkko"}', intent="choose_topic",
                    entities=[{"entity": "topic", "value": "faq/hkko"}])  # fmt: skip
    messages, slots = await run(ActionChooseTopic(), state)
    assert messages[0]["response"] == "utter_faq/hkko" and slots["answer"]["kind"] == "faq"


async def test_the_language_asked_for_is_kept() -> None:
    messages, slots = await run(ActionSwitchLanguage(), tracker("қазақша жазыңызшы", "ru"))
    assert slots["language"] == slots["language_choice"] == "kk"
    assert slots["answer"] == {"kind": "language", "id": "kk", "fact": None, "options": []}
    assert "қазақша" in messages[0]["text"]


async def test_a_yes_in_free_words_naming_the_service_answers_the_guides_step() -> None:
    state = tracker(
        "да, свидетельство уже получили",
        classes={"ask_service/birth_registration": 1.0},
        slots={"guide": "birth", "guide_step": 0, "subject_services": ["birth_registration"]},
    )
    messages, slots = await run(ActionGuideInterrupt(), state)
    assert messages[0]["response"] == "utter_guide_step_done"
    assert slots["guide_step"] == 1 and slots["answer"]["kind"] == "guide_next"
    state = tracker(
        "а как получить паспорт?",
        classes={"ask_service/passport_issuance": 1.0},
        slots={"guide": "birth", "guide_step": 0},
    )
    messages, slots = await run(ActionGuideInterrupt(), state)
    assert messages[0]["response"] == "utter_service_card"
    assert "guide_step" not in slots


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        ("out_of_scope", "out_of_scope"),
        ("complaint", "complaint"),
        ("nlu_fallback", "not_understood"),
        ("greet", "citizen_request"),
        (None, "citizen_request"),
    ],
)
async def test_a_handoff_says_why_by_the_turn_before_it(before: str | None, reason: str) -> None:
    """The reason is one of `Reason`, decided by what the citizen's previous turn was about."""
    state = tracker("да", intent="affirm")
    turns = [*([before] if before else []), "affirm"]
    state.events = [
        {"event": "user", "text": "…", "parse_data": {"intent": {"name": name, "confidence": 0.9}}}
        for name in turns
    ]
    messages, slots = await run(ActionHandoff(), state)
    assert messages[0]["response"] == "utter_handoff"
    assert slots["handoff"]["reason"] == reason
    assert slots["answer"] == {"kind": "handoff", "id": reason, "fact": None, "options": []}
