"""The offline multilingual sentence model (multilingual-e5-small), as every process runs it.

ONNX Runtime runs the model that `komekshi-sentence-model build` (tools/ml/sentence_model.py)
made from PyPI packages at install time: the Rasa server's featurizer, the action server's
register search and the tools all use the same Embedder, and share vectors through Redis.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from komekshi.core import keys

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(os.environ.get("EMBEDDING_MODEL", "models/multilingual-e5-small"))
# e5 models are trained with this prefix on queries; without it similarities degrade.
QUERY_PREFIX = "query: "
# What runs: the model with mean pooling and normalisation, its weights in int8.
RUNTIME = "model.int8.onnx"
MAX_TOKENS = 512


def is_built(path: Path) -> bool:
    return all((path / name).exists() for name in ("modules.json", "model.safetensors", RUNTIME))


class Embedder:
    """Sentence vectors (384-d, L2-normalised) for Kazakh and Russian, cached per text.

    Every Embedder of one model in a process shares the model and its cache: the NLU
    pipeline, the register search and the tools that train several models load it once.
    """

    _models: ClassVar[dict[Path, tuple[Any, Any]]] = {}
    _caches: ClassVar[dict[Path, OrderedDict[str, NDArray[np.float32]]]] = {}

    def __init__(self, path: Path = DEFAULT_PATH, cache_size: int = 20_000) -> None:
        self.path = path.resolve()
        self.cache_size = cache_size
        self._cache = self._caches.setdefault(self.path, OrderedDict())

    @classmethod
    def forget(cls) -> None:
        """Empty every cache (benchmarks measure encoding, not the cache)."""
        for cache in cls._caches.values():
            cache.clear()

    def load(self) -> tuple[Any, Any]:
        """The ONNX session and tokenizer, loaded on the first call and run once (ONNX
        Runtime sets up its buffers on the first run); a server calls it at start, so that
        no citizen's message waits for either."""
        if self.path not in self._models:
            # Imported on first use, for start-up speed: a process that never encodes (the
            # bridge, the tools' --help) does not pay for ONNX Runtime.
            import onnxruntime
            from tokenizers import Tokenizer

            if not is_built(self.path):
                raise FileNotFoundError(f"{self.path}: run `make install` to build the model")
            options = onnxruntime.SessionOptions()
            # One sentence at a time is served fastest by one thread: more wait on each other
            # and take the core the other processes need.
            options.intra_op_num_threads = int(os.environ.get("EMBEDDING_THREADS", "1"))
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(
                str(self.path / RUNTIME), options, providers=["CPUExecutionProvider"]
            )
            tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(MAX_TOKENS)
            self._models[self.path] = (session, tokenizer)
            self._compute_one("сәлем")
        return self._models[self.path]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One vector per text, in order; each text is computed once while it stays cached.

        Each text is computed on its own, never padded into a batch: int8 activations are
        scaled per call, so a batch would shift a text's vector a little, and the vectors a
        model was trained on must be the ones it is served.
        """
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if len(missing) == 1:
            fresh = {missing[0]: self._one(missing[0])}
        else:
            fresh = {text: self._compute_one(text) for text in missing}
        result = np.stack([fresh[t] if t in fresh else self._cache[t] for t in texts])
        for text in texts:
            if text in fresh:
                self._cache[text] = fresh[text]
            self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def _one(self, text: str) -> NDArray[np.float32]:
        """One sentence, as a citizen's message comes: from the process that computed it
        already for this message (see SharedVectors), else computed here."""
        shared = SharedVectors.for_model(self.path)
        vector = shared.get(text) if shared else None
        if vector is None:
            vector = self._compute_one(text)
            if shared:
                shared.put(text, vector)
        return vector

    def _compute_one(self, text: str) -> NDArray[np.float32]:
        session, tokenizer = self.load()
        tokens = tokenizer.encode(QUERY_PREFIX + text)
        feed = {
            "input_ids": np.array([tokens.ids], dtype=np.int64),
            "attention_mask": np.array([tokens.attention_mask], dtype=np.int64),
        }
        return np.asarray(session.run(None, feed)[0][0], dtype=np.float32)


class SharedVectors:
    """Sentence vectors of the last minutes in Redis, shared by the processes of one message.

    Rasa's NLU pipeline computes the e5 vector of every message (the featurizer), and the
    action server computes it again to search the register (komekshi/knowledge/register.py):
    the most expensive step of a turn, twice. With REDIS_URL set (as `make run` and deploy/ set it
    for both), the first process stores the vector for a few minutes under the model's
    fingerprint and a hash of the text, and the second one reads it instead of computing it.
    The vector is the one the second process would compute (same model, same code), so
    answers do not change. Redis unreachable: each process computes its own, as without it.
    EMBEDDING_SHARE=0 turns sharing off.
    """

    TTL_SECONDS = 300
    # After a Redis error, compute locally for this long before trying Redis again.
    PAUSE_SECONDS = 30.0
    _instances: ClassVar[dict[Path, SharedVectors | None]] = {}

    def __init__(self, url: str, model: Path) -> None:
        # Imported only where vectors are shared, for start-up speed of the other processes.
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = keys.vectors(fingerprint(model))
        self._paused_until = 0.0

    @classmethod
    def for_model(cls, model: Path) -> SharedVectors | None:
        if model not in cls._instances:
            url = os.environ.get("REDIS_URL", "")
            enabled = url and os.environ.get("EMBEDDING_SHARE", "1") != "0"
            cls._instances[model] = cls(url, model) if enabled else None
        return cls._instances[model]

    def _key(self, text: str) -> str:
        return self.prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get(self, text: str) -> NDArray[np.float32] | None:
        if time.monotonic() < self._paused_until:
            return None
        try:
            raw = self.redis.get(self._key(text))
        except Exception as error:  # Redis down or slow: compute locally for a while
            self._pause(error)
            return None
        if not isinstance(raw, bytes) or len(raw) % 4:
            return None
        return np.frombuffer(raw, dtype=np.float32).copy()

    def put(self, text: str, vector: NDArray[np.float32]) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self.redis.set(
                self._key(text), vector.astype(np.float32).tobytes(), ex=self.TTL_SECONDS
            )
        except Exception as error:
            self._pause(error)

    def _pause(self, error: Exception) -> None:
        log.warning("Sentence vectors not shared through Redis for a while: %r", error)
        self._paused_until = time.monotonic() + self.PAUSE_SECONDS


def fingerprint(model: Path) -> str:
    """Tells models apart: a vector of one is never read, or cached, as another's."""
    digest = hashlib.sha1(b"onnx-int8")
    for name in ("config.json", "tokenizer.json"):
        path = model / name
        digest.update(path.read_bytes() if path.exists() else b"")
    weights = model / RUNTIME
    if weights.exists():
        digest.update(str(weights.stat().st_size).encode())
        with weights.open("rb") as file:
            digest.update(file.read(1 << 20))
    return digest.hexdigest()[:12]
