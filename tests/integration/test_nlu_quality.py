"""The trained model meets the quality gates of quality.yml on the held-out messages.

The same evaluation as `make evaluate` (bot/evaluate.py), through the running Rasa server's
HTTP API: `make test` fails when the model scores below a gate.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.evaluate import evaluate, load_samples
from bot.stack import Stack


@pytest.fixture(scope="module")
def result(rasa_stack: Stack) -> dict[str, Any]:
    token = rasa_stack.env.get("RASA_TOKEN")
    with httpx.Client(base_url=rasa_stack.config.rasa_url, timeout=30) as client:

        def parse(text: str) -> dict[str, Any]:
            response = client.post(
                "/model/parse", json={"text": text}, params={"token": token} if token else None
            )
            response.raise_for_status()
            parsed: dict[str, Any] = response.json()
            return parsed

        evaluated, _ = evaluate(parse, load_samples())
    return evaluated


@pytest.mark.parametrize(
    "gate",
    [
        "intent_accuracy",
        "intent_accuracy_kk",
        "intent_accuracy_latin_or_mixed",
        "out_of_scope_recall",
        "language_detection",
    ],
)
def test_the_model_meets_its_quality_gate(result: dict[str, Any], gate: str) -> None:
    observed = result["gates"][gate]
    assert observed["passed"], f"{gate}: {observed['observed']:.1%} < {observed['target']:.0%}"


def test_every_intent_of_the_held_out_set_is_recognised_at_all(result: dict[str, Any]) -> None:
    missed = [intent for intent, row in result["per_intent"].items() if row["recall"] == 0]
    assert missed == []
