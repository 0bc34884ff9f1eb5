"""What citizens get, end to end: the held-out set through the trained model and the actions.

The same evaluation as `make evaluate` (bot/evaluate.py), against the running stack's REST
channel: `make test` fails when the bot answers below a gate of quality.yml, and writes the
report (reports/evaluation.md) for whoever reads the run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from bot.evaluate import REPORTS, covers_of_content, evaluate, markdown, write
from bot.heldout import Scored
from bot.register import Register
from bot.settings import quality
from bot.stack import Stack

Evaluation = tuple[dict[str, Any], list[Scored], list[list[Scored]]]


@pytest.fixture(scope="module")
def evaluation(rasa_stack: Stack) -> Evaluation:
    url = f"{rasa_stack.config.rasa_url}/webhooks/rest/webhook"
    result, single, multi = evaluate(url, covers_of_content())
    write(result, single, multi, REPORTS)
    print("\n" + markdown(result))
    return result, single, multi


@pytest.mark.parametrize("gate", list(quality()["evaluation"]["gates"]))
def test_citizens_get_the_right_answer(evaluation: Evaluation, gate: str) -> None:
    observed = evaluation[0]["gates"][gate]
    assert observed["passed"], (
        f"{gate}: {observed['observed']:.1%} < its gate {observed['gate']:.0%} "
        "(reports/evaluation.md, reports/answer_errors.csv)"
    )


def test_every_service_is_reached_by_three_held_out_phrasings_a_language(
    evaluation: Evaluation,
) -> None:
    """Four held-out questions per service and language, none in the training data: at least
    three of them lead to the service's card, straight or by a button the bot offered."""
    reached: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for scored in evaluation[1]:
        label = scored.expected.expect[0]
        if label.startswith("service:"):
            reached[(label[8:], scored.expected.language)].append(scored.right_offered)
    services = {s.id for s in Register.load().services}
    assert {service for service, _ in reached} == services
    short = {f"{service} ({language}): {sum(hits)} of {len(hits)}"
             for (service, language), hits in reached.items() if sum(hits) < 3}  # fmt: skip
    assert not short, "\n".join(sorted(short))
