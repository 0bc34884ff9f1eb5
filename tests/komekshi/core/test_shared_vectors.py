"""One message's sentence vector, computed once for Rasa and the action server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from komekshi.core.embedding import DEFAULT_PATH, Embedder, SharedVectors, is_built
from tools.dev.stack import free_port
from tools.ml.sentence_model import build

TEXTS = [
    "Жеке куәлікті қалай ауыстыруға болады?",
    "как получить справку о несудимости",
    "qalai tirkeluge bolady",
    "ЦОН",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return DEFAULT_PATH if is_built(DEFAULT_PATH) else build(tmp_path_factory.mktemp("e5") / "m")


@pytest.fixture
def fresh(model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Embedder]:
    """An embedder with an empty cache and no sharing unless a test sets REDIS_URL."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(SharedVectors, "_instances", {})
    embedder = Embedder(model)
    monkeypatch.setitem(Embedder._caches, embedder.path, type(embedder._cache)())
    embedder._cache = Embedder._caches[embedder.path]
    yield embedder


def test_a_vector_computed_by_one_process_is_read_by_the_other(
    fresh: Embedder, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    computed = fresh.encode(["где получить справку о несудимости?"])[0]
    # The action server: its own cache is empty, and it must not compute.
    fresh._cache.clear()

    def compute(text: str) -> None:
        raise AssertionError(f"computed again: {text}")

    monkeypatch.setattr(fresh, "_compute_one", compute)
    assert np.array_equal(fresh.encode(["где получить справку о несудимости?"])[0], computed)


def test_without_redis_each_process_computes_its_own(
    fresh: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    first = fresh.encode(["ЖК ашу"])[0]
    fresh._cache.clear()
    assert np.array_equal(fresh.encode(["ЖК ашу"])[0], first)


def test_sharing_can_be_turned_off(
    fresh: Embedder, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("EMBEDDING_SHARE", "0")
    assert SharedVectors.for_model(fresh.path) is None
