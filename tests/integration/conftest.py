"""The trained model behind the real Rasa server, action server and Redis."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MODEL
from tools.dev.stack import Stack, free_port

Chat = Callable[[str, str], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def rasa_stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    environ = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RASA_URL": f"http://localhost:{free_port()}",
        "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
    }
    run_dir: Path = tmp_path_factory.mktemp("rasa-stack")
    with Stack(environ, MODEL, run_dir, parts=("actions", "rasa")) as stack:
        yield stack


@pytest.fixture(scope="session")
def chat(rasa_stack: Stack) -> Iterator[Chat]:
    """Send a message as a citizen through the REST channel; returns the replies."""
    webhook = f"{rasa_stack.config.rasa_url}/webhooks/rest/webhook"
    with httpx.Client(timeout=60) as client:

        def send(sender: str, text: str) -> list[dict[str, Any]]:
            response = client.post(webhook, json={"sender": sender, "message": text})
            response.raise_for_status()
            replies: list[dict[str, Any]] = response.json()
            return replies

        yield send
