"""A training encodes only the texts no earlier training encoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from komekshi.rasa_server.components.vector_store import VectorStore, encode_with_store


def test_a_second_training_encodes_only_the_new_texts(tmp_path: Path) -> None:
    encoded: list[str] = []

    def encode(texts: list[str]) -> np.ndarray[Any, Any]:
        encoded.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    path = tmp_path / "vectors.sqlite"
    first = encode_with_store(["бір", "two"], encode, VectorStore(path), lambda *_: None, 1)
    assert encoded == ["бір", "two"]
    second = encode_with_store(["two", "үш", "two"], encode, VectorStore(path), lambda *_: None, 8)
    assert encoded == ["бір", "two", "үш"]
    assert np.array_equal(second["two"], first["two"])
    assert second["үш"].tolist() == [2.0, 1.0]
