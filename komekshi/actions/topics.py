"""FAQ answers: the topic the model picked, and the services its answer covers as the subject."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.catalogue import load
from komekshi.actions.confidence import ranking
from komekshi.actions.subject import answered
from komekshi.core.vocabulary import FAQ, Answer, answer_of


def best_topic(parse: dict[str, Any]) -> str | None:
    """The FAQ topic the model ranks first (`hkko`), if any."""
    for label, _ in ranking(parse):
        answer = answer_of(label)
        if answer and answer[0] == "faq":
            return answer[1]
    return None


def answer_topic(dispatcher: CollectingDispatcher, topic: str) -> list[EventType]:
    """The topic's answer; the services it covers (offered as buttons) become the subject."""
    intent = f"{FAQ}/{topic}"
    dispatcher.utter_message(response=f"utter_{intent}")
    services = load().covers.get(intent, [])
    return answered(Answer.FAQ, topic, subject=f"faq:{topic}", services=services)


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = best_topic(tracker.latest_message)
        if topic is None or f"utter_{FAQ}/{topic}" not in domain["responses"]:
            dispatcher.utter_message(response="utter_default")
            return answered(Answer.NOT_UNDERSTOOD)
        return answer_topic(dispatcher, topic)
