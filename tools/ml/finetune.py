"""The sentence model fine-tuned on Kömekshi's own questions, on CPU (an experiment).

multilingual-e5-small puts any two sentences close (unrelated ≈ 0.72, paraphrases ≈ 0.9):
tuned on pairs of questions that ask the same thing (two questions of one service, topic or
situation, in either language), with the other pairs of a batch as negatives
(sentence-transformers' MultipleNegativesRankingLoss), it learns what tells Kömekshi's classes
apart. `tune` writes the tuned model, exported to ONNX int8 as `make install` exports the
original (komekshi/core/embedding.py), so the featurizer runs it the same way (`model_path`).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from komekshi.core.embedding import DEFAULT_PATH, QUERY_PREFIX
from komekshi.core.language import as_cyrillic
from tools.ml.sentence_model import export_int8

# Pairs per class, and how many steps of `BATCH` pairs: one pass over them.
PAIRS_PER_CLASS = 12
BATCH = 32


def pairs(examples: list[tuple[str, str]], seed: int = 11) -> list[tuple[str, str]]:
    """Two different questions of one class, `PAIRS_PER_CLASS` a class, shuffled; classes
    with a single question give none."""
    by_class: dict[str, list[str]] = {}
    for text, label in examples:
        by_class.setdefault(label, []).append(text)
    rng = random.Random(seed)
    found = []
    for texts in by_class.values():
        unique = list(dict.fromkeys(texts))
        if len(unique) < 2:
            continue
        for _ in range(PAIRS_PER_CLASS):
            first, second = rng.sample(unique, 2)
            found.append((first, second))
    rng.shuffle(found)
    return found


def tune(examples: list[tuple[str, str]], out: Path, source: Path = DEFAULT_PATH) -> float:
    """Fine-tune the float model at `source` on pairs of `examples` (text, class) and write
    it, with its int8 ONNX export, to `out`. Returns the seconds it took."""
    # torch and sentence-transformers take seconds to import: only tuning needs them.
    from sentence_transformers import InputExample, SentenceTransformer, losses  # type: ignore[attr-defined]
    from torch.utils.data import DataLoader

    started = time.monotonic()
    model = SentenceTransformer(str(source), device="cpu")
    data = [
        InputExample(texts=[QUERY_PREFIX + as_cyrillic(a), QUERY_PREFIX + as_cyrillic(b)])
        for a, b in pairs(examples)
    ]
    loader = DataLoader(data, shuffle=True, batch_size=BATCH)  # type: ignore[arg-type,var-annotated]
    loss = losses.MultipleNegativesRankingLoss(model)
    model.fit(train_objectives=[(loader, loss)], epochs=1, warmup_steps=10, show_progress_bar=True)
    shutil.rmtree(out, ignore_errors=True)
    model.save(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (source / name).exists() and not (out / name).exists():
            shutil.copyfile(source / name, out / name)
    export_int8(out)
    return time.monotonic() - started
