"""`make validate` speaks to editors: each finding names the file and line, and what to do."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from tests.conftest import ROOT
from tools.editors.checks import Finding, run

TODAY = dt.date(2026, 12, 3)


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    content, register = tmp_path / "content", tmp_path / "register"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "register", register)
    return content, register


def _errors(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings if f.level == "error"]


def test_the_shipped_content_has_no_errors(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    assert _errors(run(content, register, TODAY, similar=False)) == []


def test_too_few_questions_and_one_question_in_two_topics_are_errors(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    (content / "topics" / "faq_small.yml").write_text(
        "intent: faq/small\nquestions:\n  kk:\n    - ХҚКО қашан жұмыс істейді\n"
        "  ru:\n    - где ближайший ЦОН\n",
        encoding="utf-8",
    )
    errors = _errors(run(content, register, TODAY, similar=False))
    assert any(
        e.startswith("content/topics/faq_small.yml:1: error: faq/small has 1 Kazakh (kk) questions")
        for e in errors
    )
    twice = [e for e in errors if "is a question of faq/small and also of" in e]
    assert twice and twice[0].startswith("content/topics/faq_small.yml:4: error:")


def test_a_page_read_over_a_year_ago_or_in_the_future_is_flagged(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    path = register / "identity.yml"
    text = path.read_text("utf-8")
    assert "read_on: 2026-12-03" in text
    path.write_text(text.replace("read_on: 2026-12-03", "read_on: 2025-10-01", 1), "utf-8")
    findings = run(content, register, TODAY, similar=False)
    stale = [str(f) for f in findings if "was read on 2025-10-01" in f.message]
    assert stale and stale[0].startswith("register: service '")
    assert ": warning: " in stale[0] and "read the page again" in stale[0]
    later = run(content, register, dt.date(2024, 1, 1), similar=False)
    assert any("is in the future" in e for e in _errors(later))


def test_a_fact_or_page_on_a_news_site_is_an_error(tmp_path: Path) -> None:
    """Citizens act on a card: its facts and its link come from the state's own sites."""
    content, register = _copy(tmp_path)
    path = register / "identity.yml"
    text = path.read_text("utf-8")
    news = "https://www.zakon.kz/news/1.html"
    text = re.sub(r"(?m)^(\s+page: )\S+", rf"\g<1>{news}", text, count=1)
    text = re.sub(r"(?m)^(\s+url: )\S+", rf"\g<1>{news}", text, count=1)
    path.write_text(text, "utf-8")
    errors = _errors(run(content, register, TODAY, similar=False))
    assert any(f"its page {news} is not on an official site" in e for e in errors)
    assert any(f"rests on {news}, not an official site" in e for e in errors)


def test_too_few_latin_examples_and_unknown_services_are_errors(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    questions = "".join(f"    - паспорт алу туралы сұрақ нөмір {n}\n" for n in range(14))
    russian = "".join(f"    - вопрос о паспорте номер {n}\n" for n in range(14))
    (content / "topics" / "services" / "no_such_service.yml").write_text(
        f"intent: ask_service/no_such_service\nquestions:\n  kk:\n{questions}  ru:\n{russian}",
        encoding="utf-8",
    )
    errors = _errors(run(content, register, TODAY, similar=False))
    assert any("no_such_service is not a service of the register" in e for e in errors)
    latin = [e for e in errors if "ask_service/no_such_service:" in e and "Latin letters" in e]
    assert not latin or "must be" in latin[0]


def test_a_service_without_questions_is_a_warning(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    (content / "topics" / "services" / "eds_issue.yml").unlink()
    warnings = [str(f) for f in run(content, register, TODAY, similar=False)
                if f.level == "warning"]  # fmt: skip
    assert any("service 'eds_issue'" in w and "no questions yet" in w for w in warnings)


def test_a_review_group_assigned_to_no_topic_is_an_error(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    (content / "review").mkdir(exist_ok=True)
    (content / "review" / "2026-11-23.yml").write_text(
        "groups:\n  - topic: faq/no_such_topic\n    questions:\n      ru:\n        - вопрос\n",
        encoding="utf-8",
    )
    errors = _errors(run(content, register, TODAY, similar=False))
    assert any(
        e.startswith("content/review/2026-11-23.yml:2: error: topic 'faq/no_such_topic'")
        for e in errors
    )


def test_near_copies_across_topics_are_flagged_as_conflicts(tmp_path: Path) -> None:
    content, register = _copy(tmp_path)
    # The topics of services and situations are left out: thousands of questions to encode
    # that this check does not need.
    shutil.rmtree(content / "topics" / "services")
    shutil.rmtree(content / "topics" / "situations")
    path = content / "topics" / "thanks.yml"
    path.write_text(
        path.read_text("utf-8").replace("  kk:\n", "  kk:\n    - сау болыңыз рахмет сізге\n", 1),
        encoding="utf-8",
    )
    warnings = [str(f) for f in run(content, register, TODAY) if f.level == "warning"]
    flagged = [w for w in warnings if "'сау болыңыз рахмет сізге' (thanks" in w]
    assert flagged and "(goodbye" in flagged[0] and "content/topics/" in flagged[0]


def test_a_mistake_in_the_report_words_is_a_warning(tmp_path: Path) -> None:
    """It stops `make report`, not training."""
    content, register = _copy(tmp_path)
    path = content / "report.yml"
    path.write_text(path.read_text("utf-8").replace("    ru: Оценок пока нет.\n", "", 1), "utf-8")
    flagged = [str(f) for f in run(content, register, TODAY, similar=False)
               if "ratings.nothing_yet" in f.message]  # fmt: skip
    assert len(flagged) == 1
    assert re.match(r"content/report.yml:\d+: warning: ratings.nothing_yet: needs a kk: and a ru:",
                    flagged[0])  # fmt: skip
