"""A service's card and its one-fact answers, from the register and the editors' templates.

A card shows only what an official text confirmed, most useful first (where and how to apply,
documents, fee, time, who, result, deadline); an unknown fact is left out, never printed as
"check the page". One closing line points to the official page, in the citizen's language,
with the day its facts were read; an entry nobody could confirm says so in that line. Every
sentence is a template in content/messages/services.yml; this module only fills them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from komekshi.core.language import Lang
from komekshi.knowledge import responses
from komekshi.knowledge.register import Service

# The order facts appear on a card: what a citizen needs first.
CARD_ORDER = ("where", "documents", "fee", "processing_time", "who", "result", "deadline")
# A fact a citizen asks for, and the register fact that answers it.
ANSWERED_BY = {"amount": "result"}
# Services applied for in a ЦОН get the booking link.
HKKO = "hkko"


def _value(service: Service, fact: str, language: Lang) -> str | None:
    found = service.fact(fact)
    if found is None:
        return None
    if found.items:
        return "".join(f"\n  • {item}" for item in found.items[language])
    return found.text[language]


def closing(service: Service, language: Lang, domain_responses: Mapping[str, Any]) -> str:
    """The last line: the official page, and when its facts were read (or that they are not
    confirmed yet)."""
    page = service.page_in(language)
    read_on = service.read_on
    if not service.verified or read_on is None:
        return responses.text(domain_responses, "utter_card_unverified", language, page=page)
    day = read_on.strftime("%d.%m.%Y")
    return responses.text(domain_responses, "utter_card_page", language, page=page, read_on=day)


def card(service: Service, language: Lang, domain_responses: Mapping[str, Any]) -> dict[str, str]:
    """The values of utter_service_card: the name, the known facts' lines, the closing."""
    lines = []
    for fact in CARD_ORDER:
        value = _value(service, fact, language)
        if value is not None:
            lines.append(responses.text(domain_responses, f"utter_card_{fact}", language,
                                        value=value))  # fmt: skip
    if HKKO in service.channels and service.verified:
        lines.append(responses.text(domain_responses, "utter_card_booking", language))
    return {
        "name": service.name[language],
        "facts": "".join(f"\n{line}" for line in lines),
        "closing": closing(service, language, domain_responses),
    }


def fact_answer(
    service: Service, asked: str, language: Lang, domain_responses: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """The response and values that answer one fact of a service; when no official text
    confirmed it, a response that says so plainly and links the page."""
    values = {
        "name": service.name[language],
        "closing": closing(service, language, domain_responses),
        "page": service.page_in(language),
        "label": responses.text(domain_responses, f"utter_fact_label_{asked}", language),
    }
    if asked == "online":
        where = _value(service, "where", language)
        if where is None or not service.verified:
            return "utter_fact_not_known", values
        response = "utter_service_online" if service.online else "utter_service_offline"
        return response, {**values, "value": where}
    value = _value(service, ANSWERED_BY.get(asked, asked), language)
    if value is None:
        return "utter_fact_not_known", values
    return "utter_service_fact", {**values, "value": value}
