"""`rasa test` on the conversation patterns of tests/stories/: the trained model finds each
message's intent and the dialogue takes each expected action, in both languages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.conftest import MODEL, ROOT
from tools.dev.stack import BIN


def test_the_conversation_patterns_pass_rasa_test(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = subprocess.run(
        [str(BIN / "rasa"), "test", "core", "--model", str(MODEL),
         "--stories", str(ROOT / "tests" / "stories"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    failed = out / "failed_test_stories.yml"
    text = failed.read_text(encoding="utf-8") if failed.exists() else ""
    stories = (yaml.safe_load(text) or {}).get("stories") or [] if text.strip() else []
    assert not stories, f"stories that failed:\n{text}"
