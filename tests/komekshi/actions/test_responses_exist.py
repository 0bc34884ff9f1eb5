"""Every response an action sends is one the editors' content has, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from tests.komekshi.actions.conftest import DOMAIN

ACTIONS = Path(__file__).resolve().parents[3] / "komekshi" / "actions"


def test_every_response_an_action_names_exists() -> None:
    named = {
        name
        for path in ACTIONS.glob("*.py")
        for name in re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert named, "no response names found"
    missing = sorted(name for name in named if name not in DOMAIN["responses"])
    assert not missing, f"responses named by actions but not in content/messages: {missing}"
