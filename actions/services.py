"""Answer questions about a public service from the register."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import responses
from bot.language import Lang
from bot.register import Match, Register, Service

REGISTER = Register.load()

# When the runner-up scores within this of the best match, the citizen chooses with buttons
# instead of getting an answer about a service they may not have meant.
AMBIGUITY_MARGIN = 0.1


class ActionAnswerService(Action):
    def name(self) -> str:
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language: Lang = tracker.get_slot("language") or "kk"
        matches = _find(tracker)
        if not matches:
            dispatcher.utter_message(response="utter_service_not_found")
            return [SlotSet("service_ids", [])]
        close = [m for m in matches if m.score >= matches[0].score - AMBIGUITY_MARGIN]
        if len(close) > 1:
            dispatcher.utter_message(
                response="utter_service_choose",
                buttons=[_choice(m.service, language) for m in close],
            )
            return [SlotSet("service_ids", [])]
        service = matches[0].service
        dispatcher.utter_message(
            response="utter_service_card", **_card(service, language, domain["responses"])
        )
        return [SlotSet("service_ids", [service.id])]


def _find(tracker: Tracker) -> list[Match]:
    """The service chosen with a button, or the best matches for the citizen's words."""
    chosen = next(tracker.get_latest_entity_values("service"), None)
    service = REGISTER.get(chosen) if chosen else None
    if service:
        return [Match(service, 1.0)]
    return REGISTER.search(tracker.latest_message.get("text") or "")


def _choice(service: Service, language: Lang) -> dict[str, str]:
    return {
        "title": service.name[language],
        "payload": f'/ask_service{{"service": "{service.id}"}}',
    }


def _card(service: Service, language: Lang, domain_responses: Any) -> dict[str, str]:
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
        "source": service.source,
        "checked_on": service.checked_on.strftime("%d.%m.%Y"),
    }
