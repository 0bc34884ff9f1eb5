"""Fixtures shared by every layer of the suite: a real Redis and the repository root."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import redis

from komekshi.core.language import Lang
from komekshi.knowledge.register import Register, Service
from tools.dev.stack import free_port, redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
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
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
             "--dir", directory, "--save", ""],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                server.poll()
                assert server.returncode is None, "redis-server exited at start"
                import time

                time.sleep(0.05)
        yield url
        server.terminate()
        server.wait(10)


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
