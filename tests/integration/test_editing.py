"""An editor adds a FAQ the way EDITORS.md says, and the retrained bot answers it.

Works on a copy of the repository: a new topic file in content/topics/, then `make train`;
the new model, served by a real Rasa server, answers the new questions in both languages.
A topic file with a mistake stops `make train` with the file and the line, and the working
model stays.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tools.dev.stack import Stack, free_port

VENV = Path(sys.executable).parent.parent
# One real `make train`: the sentence vectors of unchanged texts come from the store the
# first training filled (rasa_server/components/vector_store.py); the classifier still trains
# anew.
pytestmark = pytest.mark.timeout(1500)
NEW_TOPIC = """# How to get eGov Mobile and sign in to it.
intent: faq/egov_mobile
label:
  kk: eGov Mobile қосымшасы
  ru: Приложение eGov Mobile
questions:
  kk:
    - egov mobile қосымшасын қалай орнатамын
    - eGov Mobile деген не
    - егов мобайлды қайдан жүктеймін
    - eGov Mobile-ға қалай кіремін
    - телефонға егов қосымшасын орнату
    - egov mobile қосымшасына тіркелу
    - егов мобайл ашылмай тұр
    - egov mobile qalai ornatamyn
    - egov mobile qosymshasy degen ne
    - egov mobile-ğa qalai kıremın
    - егов мобайл приложениесін қалай жүктеймін
    - смартфонға eGov Mobile керек пе
    - eGov Mobile арқылы кіру үшін не керек
    - егов мобайлда құпиясөз қалай қоямын
    - eGov Mobile тегін бе
    - андроидқа егов мобайл орнату
  ru:
    - как установить egov mobile
    - что такое eGov Mobile
    - где скачать приложение егов мобайл
    - как войти в eGov Mobile
    - установить егов на телефон
    - как зарегистрироваться в egov mobile
    - не открывается егов мобайл
    - kak ustanovit egov mobile
    - chto takoe egov mobile
    - kak voiti v egov mobile
    - приложение egov mobile для айфона
    - нужен ли смартфон для eGov Mobile
    - что нужно чтобы войти в egov mobile
    - как поставить пароль в егов мобайл
    - eGov Mobile платное или бесплатное
    - егов мобайл на андроид қалай орнатамын
answer:
  kk: >-
    eGov Mobile — мемлекеттік қызметтердің мобильді қосымшасы. Оны App Store немесе
    Google Play дүкенінен жүктеуге болады.
  ru: >-
    eGov Mobile — мобильное приложение госуслуг. Скачайте его в App Store или Google Play.
"""


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as an editor has it (mtimes kept, so nothing is reinstalled)."""
    target = tmp_path_factory.mktemp("editor") / "komekshi"
    skip = shutil.ignore_patterns(
        ".venv", ".git", "models", "build", ".run", "reports", "node_modules", "__pycache__",
        ".*_cache",
    )  # fmt: skip
    shutil.copytree(ROOT, target, ignore=skip)
    return target


def _make_train(copy: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "make",
            "train",
            f"VENV={VENV}",
            f"EMBEDDING_MODEL={ROOT / 'models' / 'multilingual-e5-small'}",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def retrained(copy: Path) -> Path:
    (copy / "content" / "topics" / "faq_egov_mobile.yml").write_text(NEW_TOPIC, encoding="utf-8")
    done = _make_train(copy)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return copy / "models" / "komekshi.tar.gz"


@pytest.fixture(scope="module")
def served(
    retrained: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    environ = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RASA_URL": f"http://localhost:{free_port()}",
        "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
    }
    run_dir = tmp_path_factory.mktemp("editor-stack")
    with Stack(environ, retrained, run_dir, parts=("actions", "rasa")) as stack:
        yield f"{stack.config.rasa_url}/webhooks/rest/webhook"


@pytest.mark.parametrize(
    ("question", "language", "answer"),
    [
        ("егов мобайл қосымшасын телефонға қалай орнатуға болады", "kk", "App Store немесе"),
        ("подскажите как скачать и установить egov mobile", "ru", "Скачайте его в App Store"),
    ],
)  # fmt: skip
def test_a_new_faq_is_answered_in_both_languages_after_training(
    served: str, question: str, language: str, answer: str
) -> None:
    replies = httpx.post(
        served, json={"sender": f"editor-{uuid.uuid4().hex[:8]}", "message": question}, timeout=60
    ).json()
    assert answer in replies[0]["text"]
    assert replies[0]["custom"]["language"] == language


def test_a_topic_with_a_mistake_stops_training_naming_file_and_line(
    copy: Path, retrained: Path
) -> None:
    before = retrained.stat().st_mtime
    broken = NEW_TOPIC.replace("intent: faq/egov_mobile", "intent: faq/egov_mobile_broken")
    broken = broken[: broken.index("  ru: >-")]  # the Russian answer is missing
    (copy / "content" / "topics" / "faq_egov_mobile_broken.yml").write_text(broken, "utf-8")
    done = _make_train(copy)
    assert done.returncode != 0
    assert (
        "content/topics/faq_egov_mobile_broken.yml:42: error: utter_faq/egov_mobile_broken: "
        "the Russian (ru) text is missing" in done.stdout + done.stderr
    )
    assert retrained.stat().st_mtime == before
