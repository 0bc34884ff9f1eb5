"""The e5 vectors of texts already encoded by a training, kept on disk for the next one.

Encoding the training examples is most of `make train` (about 29,000 texts); an editor who
adds a topic changes a few hundred. Vectors are stored beside the sentence model they come
from, one SQLite file per model fingerprint, so a vector of one model is never read as
another's; a text's vector depends on nothing else (each text is encoded alone). Only
training uses it: a served model keeps its in-memory cache (komekshi/core/embedding.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from komekshi.core.embedding import fingerprint

# Texts looked up or written per SQL statement (SQLite's limit on parameters is 32,766).
CHUNK = 500


def store_path(model: Path) -> Path:
    """Where the vectors of the sentence model in `model` are kept."""
    return model.parent / f"{model.name}.vectors" / f"{fingerprint(model)}.sqlite"


class VectorStore:
    """Text → vector, in one SQLite file (safe for two trainings at once)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (text TEXT PRIMARY KEY, v BLOB)")

    def get(self, texts: Iterable[str]) -> dict[str, np.ndarray[Any, Any]]:
        wanted = list(dict.fromkeys(texts))
        found: dict[str, np.ndarray[Any, Any]] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT text, v FROM vectors WHERE text IN ({marks})", chunk)
            found.update((text, np.frombuffer(blob, dtype=np.float32)) for text, blob in rows)
        return found

    def put(self, vectors: dict[str, np.ndarray[Any, Any]]) -> None:
        rows = [(text, np.asarray(v, dtype=np.float32).tobytes()) for text, v in vectors.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self._db.close()


def encode_with_store(
    texts: list[str],
    encode: Callable[[list[str]], np.ndarray[Any, Any]],
    store: VectorStore,
    report: Callable[[int, int], None],
    batch: int,
) -> dict[str, np.ndarray[Any, Any]]:
    """The vector of every text: from the store, else encoded (in batches, reported as
    (done, to do)) and stored."""
    vectors = store.get(texts)
    missing = [t for t in dict.fromkeys(texts) if t not in vectors]
    for start in range(0, len(missing), batch):
        fresh = dict(zip(missing[start : start + batch],
                         encode(missing[start : start + batch]), strict=True))  # fmt: skip
        store.put(fresh)
        vectors.update(fresh)
        report(min(start + batch, len(missing)), len(missing))
    return vectors
