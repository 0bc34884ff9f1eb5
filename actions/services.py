"""Answer questions about public services and life situations from the register."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import responses
from bot.embedding import DEFAULT_PATH, Embedder, is_built
from bot.language import Lang
from bot.register import GuideStep, LifeSituation, Match, Register, Service, asked_fact

log = logging.getLogger(__name__)


def _load_register() -> Register:
    """The register, searched by meaning too when the sentence model is built."""
    if not is_built(DEFAULT_PATH):
        log.warning("No sentence model at %s: register search by spelling only", DEFAULT_PATH)
        return Register.load()
    register = Register.load(embedder=Embedder(DEFAULT_PATH))
    register.prepare()
    return register


REGISTER = _load_register()

# A follow-up question ("қанша тұрады?") is about the service just discussed unless it names
# another one this clearly (a register search score: "сколько стоит паспорт" 0.44, "где
# подать?" 0.32).
NAMES_A_SERVICE = 0.4
# A question the model took for a life situation ("потерял диплом, что делать?") is about a
# service when it names one clearly: well enough for a follow-up (NAMES_A_SERVICE) and better
# than any life situation by this much ("у нас родился ребёнок": the birth situation 0.86,
# birth registration 0.53; "потерял диплом": the diploma duplicate 0.52, university 0.34).
SERVICE_OVER_SITUATION = 0.05
# When the runner-up scores within this of the best match, the citizen chooses with buttons
# instead of getting an answer about a service they may not have meant.
AMBIGUITY_MARGIN = 0.1

# A follow-up question asks for one fact: the intent names the response and the card value.
FACTS = {
    "ask_documents": ("utter_service_documents", "documents"),
    "ask_fee": ("utter_service_fee", "fee"),
    "ask_time": ("utter_service_time", "processing_time"),
    "ask_where": ("utter_service_where", "where"),
}
SERVICE_INTENTS = frozenset({"ask_service", *FACTS})
# The follow-up intent that asks for a fact, for a question that names the service too.
FACT_INTENTS = {field: intent for intent, (_, field) in FACTS.items()}


def language_of(tracker: Tracker) -> Lang:
    language: Lang = tracker.get_slot("language") or "kk"
    return language


def answer_service(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    text: str,
    intent: str,
) -> list[EventType]:
    """A service card, or one fact of it for a follow-up question (`intent` in FACTS)."""
    language = language_of(tracker)
    matches = _find(tracker, text)
    previous = REGISTER.get(tracker.get_slot("current_service") or "")
    if intent in FACTS and previous and not (matches and matches[0].score >= NAMES_A_SERVICE):
        # "а сколько это стоит?": about the service just discussed, unless it names another.
        matches = [Match(previous, 1.0)]
    if not matches:
        response = "utter_service_which" if intent in FACTS else "utter_service_not_found"
        dispatcher.utter_message(response=response)
        return [SlotSet("service_ids", [])]
    close = [m for m in matches if m.score >= matches[0].score - AMBIGUITY_MARGIN]
    if len(close) > 1:
        dispatcher.utter_message(
            response="utter_service_choose",
            buttons=[service_button(m.service, language) for m in close],
        )
        return [SlotSet("service_ids", [])]
    service = matches[0].service
    values = card(service, language, domain["responses"])
    intent = FACT_INTENTS.get(asked_fact(text) or "", intent) if intent == "ask_service" else intent
    if intent in FACTS:
        response, field = FACTS[intent]
        dispatcher.utter_message(response=response, value=values[field], **values)
    else:
        dispatcher.utter_message(response="utter_service_card", **values)
    return [SlotSet("service_ids", [service.id]), SlotSet("current_service", service.id)]


def answer_life_situation(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], text: str
) -> list[EventType]:
    """The services of a life situation, or its step-by-step guide where it has one."""
    language = language_of(tracker)
    chosen = next(tracker.get_latest_entity_values("life_situation"), None)
    situation = REGISTER.situation(chosen) if chosen else None
    if situation is None:
        found = REGISTER.match_situation(text)
        matches = REGISTER.search(text)
        if matches and matches[0].score >= max(
            NAMES_A_SERVICE, (found[1] if found else 0.0) + SERVICE_OVER_SITUATION
        ):
            return answer_service(dispatcher, tracker, domain, text, "ask_service")
        situation = found[0] if found else None
    if situation is None:
        dispatcher.utter_message(
            response="utter_life_situation_choose",
            buttons=[_situation_choice(s, language) for s in REGISTER.situations],
        )
        return []
    if situation.guide:
        dispatcher.utter_message(response="utter_guide_start", name=situation.name[language])
        return [
            SlotSet("guide", situation.id),
            SlotSet("guide_step", 0),
            SlotSet("guide_answer", None),
            FollowupAction("guide_form"),
        ]
    services = REGISTER.services_of(situation.id)
    dispatcher.utter_message(
        response="utter_life_situation_services" if services else "utter_life_situation_empty",
        name=situation.name[language],
        buttons=[service_button(s, language) for s in services],
    )
    return []


class ActionAnswerService(Action):
    """A service card, or one fact of it for a follow-up question."""

    def name(self) -> str:
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or "ask_service"
        text = tracker.latest_message.get("text") or ""
        return answer_service(dispatcher, tracker, domain, text, intent)


class ActionLifeSituation(Action):
    """The services of a life situation, or its step-by-step guide where it has one."""

    def name(self) -> str:
        return "action_life_situation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        return answer_life_situation(dispatcher, tracker, domain, text)


class ActionAskGuideAnswer(Action):
    """Ask the question of the guide's current step, with yes/no buttons."""

    def name(self) -> str:
        return "action_ask_guide_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        step = _current_step(tracker)
        if step is None:
            return [ActiveLoop(None)]
        dispatcher.utter_message(
            response="utter_guide_step", question=step.question[language_of(tracker)]
        )
        return []


class ValidateGuideForm(FormValidationAction):
    """Walk the guide: a step not yet done gets its service card, then the next question."""

    def name(self) -> str:
        return "validate_guide_form"

    async def validate_guide_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        language = language_of(tracker)
        step = _current_step(tracker)
        if step is None:
            return {"guide_answer": "done"}
        service = REGISTER.get(step.service)
        if value == "no" and service:
            dispatcher.utter_message(
                response="utter_service_card", **card(service, language, domain["responses"])
            )
        elif value == "yes":
            dispatcher.utter_message(response="utter_guide_step_done")
        next_step = int(tracker.get_slot("guide_step") or 0) + 1
        situation = REGISTER.situation(tracker.get_slot("guide") or "")
        if situation and next_step < len(situation.guide):
            return {"guide_step": next_step, "guide_answer": None}
        return {"guide_step": next_step, "guide_answer": "done"}


def _current_step(tracker: Tracker) -> GuideStep | None:
    situation = REGISTER.situation(tracker.get_slot("guide") or "")
    index = int(tracker.get_slot("guide_step") or 0)
    if situation is None or index >= len(situation.guide):
        return None
    return situation.guide[index]


def _find(tracker: Tracker, text: str) -> list[Match]:
    """The service chosen with a button, or the best matches for the citizen's words."""
    chosen = next(tracker.get_latest_entity_values("service"), None)
    service = REGISTER.get(chosen) if chosen else None
    if service:
        return [Match(service, 1.0)]
    return REGISTER.search(text)


def named_services(text: str, most: int = 2) -> list[Service]:
    """The services a message names clearly enough to offer, best first (for "did you
    mean …?")."""
    matches = REGISTER.search(text)
    if not matches or matches[0].score < NAMES_A_SERVICE:
        return []
    close = [m for m in matches if m.score >= matches[0].score - AMBIGUITY_MARGIN]
    return [m.service for m in close[:most]]


def service_button(service: Service, language: Lang) -> dict[str, str]:
    """A button that asks about one service of the register."""
    return {
        "title": service.name[language],
        "payload": f'/ask_service{{"service": "{service.id}"}}',
    }


def _situation_choice(situation: LifeSituation, language: Lang) -> dict[str, str]:
    return {
        "title": situation.name[language],
        "payload": f'/ask_life_situation{{"life_situation": "{situation.id}"}}',
    }


def card(service: Service, language: Lang, domain_responses: Any) -> dict[str, str]:
    """The values of utter_service_card; an unknown fact points to the official page."""
    unknown = responses.text(domain_responses, "utter_fact_unknown", language)

    def fact(value: dict[Lang, str] | None) -> str:
        return value[language] if value else unknown

    documents = (
        "".join(f"\n  • {item}" for item in service.documents[language])
        if service.documents
        else unknown
    )
    return {
        "name": service.name[language],
        "where": service.where[language],
        "who": fact(service.who),
        "documents": documents,
        "fee": fact(service.fee),
        "processing_time": fact(service.processing_time),
        "deadline": fact(service.deadline),
        "source": service.source_in(language),
        "checked_on": service.checked_on.strftime("%d.%m.%Y"),
    }
