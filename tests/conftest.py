"""Fixtures shared by every layer of the suite: a real Redis and the repository root."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from komekshi.core.language import Lang
from komekshi.core.settings import ROOT
from komekshi.knowledge.register import Register, Service
from tools.dev.stack import redis_server

# The trained model under test: `make test` trains models/komekshi.tar.gz first; another path
# can be given to test a model trained elsewhere.
MODEL = Path(os.environ.get("KOMEKSHI_TEST_MODEL", ROOT / "models" / "komekshi.tar.gz"))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: the one in REDIS_URL if set, else a fresh embedded redis-server."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    with (
        tempfile.TemporaryDirectory() as directory,
        redis_server(Path(directory), "--save", "") as port,
    ):
        yield f"redis://127.0.0.1:{port}/0"


@cache
def register() -> Register:
    """The shipped register, read once for every test that names a service."""
    return Register.load()


def service(service_id: str) -> Service:
    """A service as the register states it, so tests follow the editors' wording."""
    found = register().get(service_id)
    assert found, f"{service_id} is not in the register"
    return found


def card_title(service_id: str, language: Lang) -> str:
    """How a service card names its service: «name»."""
    return f"«{service(service_id).name[language]}»"
