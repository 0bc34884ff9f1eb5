"""What citizens get, end to end: the held-out set through the trained model and the actions.

The same evaluation as `make evaluate` (tools/ml/evaluate.py), against the running stack's REST
channel: `make test` fails when the bot answers below a gate of quality.yml, and writes the
report (reports/evaluation.md) for whoever reads the run.
"""

from __future__ import annotations

from typing import Any

import pytest

from komekshi.core.settings import quality
from komekshi.knowledge.register import Register
from tools.dev.stack import Stack
from tools.ml.evaluate import REACHED, REPORTS, covers_of_content, evaluate, markdown, write
from tools.ml.heldout import Scored

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


def test_every_service_is_in_the_held_out_set_and_the_short_ones_are_named(
    evaluation: Evaluation,
) -> None:
    """Four held-out questions per service and language; the services fewer than three of
    them reach are listed in the report (their share is the `services_reached` gate)."""
    asked = {s.expected.expect[0][8:] for s in evaluation[1]
             if s.expected.expect[0].startswith("service:")}  # fmt: skip
    assert asked == {s.id for s in Register.load().services}
    short = evaluation[0]["services_short"]
    assert all(hits < REACHED for hits in short.values())
    assert all(f"{name}: {hits} of 4" in markdown(evaluation[0]) for name, hits in short.items())
