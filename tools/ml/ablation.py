"""Experiments behind docs/nlu.md: the ablation on what citizens get, and the thresholds.

`python -m tools.ml.ablation ablation` trains, in one run, the design of before (one
`ask_service` intent and a look-up in the register) and the new one (a class per service and
per life situation), with and without the generated spellings, without the e5 sentence
vector, and with e5 fine-tuned on the project's own questions; each model is served by a
stack of its own and scored end to end on the held-out set (tools/ml/evaluate.py), writing
reports/ablation.md.

`python -m tools.ml.ablation tune` chooses the fallback threshold, the ambiguity threshold,
the margin under which two services are both offered (komekshi/actions/services.py, CLOSE) and
`suggest_min` without looking at the held-out set: three models, each trained on two thirds
of the training examples, predict the third they did not see, and on those out-of-fold
predictions it keeps the settings that answer most questions right while declining the
out-of-scope ones at the gate. Writes reports/thresholds.md (and the predictions,
reports/oof_predictions.json, for --rescore).

Both need `make train` first (they read the built data under build/).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from komekshi.actions.confidence import ranking
from komekshi.core.settings import ROOT, quality
from komekshi.core.vocabulary import FALLBACK, OUT_OF_SCOPE, RETRIEVAL_INTENTS
from tools.ml.evaluate import covers_of_content, evaluate, with_stack
from tools.ml.evaluate_intents import local_parser
from tools.ml.finetune import tune as finetune
from tools.ml.train import prepare_training
from tools.ml.training_data import nlu_yaml

BUILD = ROOT / "build"
RECALL_MARGIN = 0.02
REPORTS = ROOT / "reports"
CONFIG = ROOT / "config.yml"

# What each variant of the ablation changes: the design (collapse the classes of services
# and situations into one intent each), the generated spellings, the e5 vector, fine-tuning.
VARIANTS: dict[str, dict[str, bool]] = {
    "before: one ask_service intent, register look-up, no generated spellings": {
        "collapse": True, "spellings": False},
    "new: a class per service and life situation": {},
    "new without the generated spellings": {"spellings": False},
    "new without the e5 sentence vector": {"no_e5": True},
    "new with e5 fine-tuned on the project's questions": {"finetune": True},
}  # fmt: skip


def examples_of(path: Path) -> list[tuple[str, str]]:
    """(text, class) of the training examples of one Rasa NLU file."""
    return [
        (line.strip()[2:], item["intent"])
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []
        if "intent" in item
        for line in (item.get("examples") or "").splitlines()
        if line.strip().startswith("- ")
    ]


def examples(folder: Path = BUILD / "nlu") -> list[tuple[str, str]]:
    """(text, class) of every training example Rasa gets (build/nlu/*.yml)."""
    return [pair for path in sorted(folder.glob("*.yml")) for pair in examples_of(path)]


def _collapse(label: str) -> str:
    """The design of before: services and situations were one intent each."""
    base = label.split("/")[0]
    return base if base in ("ask_service", "ask_life_situation") else label


def _data(work: Path, collapse: bool, spellings: bool) -> Path:
    folder = work / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "nlu_data").glob("*.yml"):
        shutil.copyfile(path, folder / path.name)
    shutil.copyfile(BUILD / "nlu" / "rules.yml", folder / "built_rules.yml")
    kept = [p for p in (BUILD / "nlu").glob("*.yml") if p.name != "rules.yml"]
    if not spellings:
        kept = [p for p in kept if p.name != "spellings.yml"]
    grouped: dict[str, list[str]] = {}
    for path in kept:
        for text, label in examples_of(path):
            grouped.setdefault(_collapse(label) if collapse else label, []).append(text)
    (folder / "nlu.yml").write_text(nlu_yaml(grouped, "Ablation data."), encoding="utf-8")
    return folder


def _config(work: Path, no_e5: bool, model_path: Path | None) -> Path:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    pipeline = []
    for component in config["pipeline"]:
        if component["name"].endswith("SentenceEmbeddingFeaturizer"):
            if no_e5:
                continue
            if model_path:
                component = {**component, "model_path": str(model_path)}
        pipeline.append(component)
    path = work / "config.yml"
    path.write_text(yaml.safe_dump({**config, "pipeline": pipeline}), encoding="utf-8")
    return path


def _train(data: Path, config: Path, out: Path) -> tuple[Path, float]:
    """A model trained as `make train` trains one (tools/ml/train.py), in a process of its own."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "tools.ml.train", "--data", str(data), "--domain",
         str(BUILD / "domain.yml"), "--config", str(config), "--out", str(out),
         "--fixed-model-name", "model"],
        check=True, cwd=ROOT, env={**os.environ, "EMBEDDING_THREADS": "2"},
    )  # fmt: skip
    return out / "model.tar.gz", time.monotonic() - started


def ablation(out: Path) -> str:
    covers = covers_of_content()
    rows: list[tuple[str, dict[str, Any], float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, (name, change) in enumerate(VARIANTS.items()):
            work = Path(scratch) / str(number)
            work.mkdir()
            data = _data(work, change.get("collapse", False), change.get("spellings", True))
            seconds = 0.0
            model_path = None
            if change.get("finetune"):
                model_path = work / "e5-tuned"
                seconds += finetune(examples_of(data / "nlu.yml"), model_path)
            config = _config(work, change.get("no_e5", False), model_path)
            model, trained = _train(data, config, work / "model")
            seconds += trained
            result = with_stack(model, lambda url: evaluate(url, covers)[0])
            rows.append((name, result, seconds))
            print(f"{name}: right first {result['right_first']:.1%}", flush=True)
    lines = [
        "Each variant trained and scored end to end on the held-out set in the same run "
        "(`make ablation`); training time includes fine-tuning where there is one.",
        "",
        "| variant | right first | kk | ru | Latin/mixed | long | typos | right among offered "
        "| out of scope | conversations | follow-ups | training, s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r, seconds in rows:
        lines.append(
            f"| {name} | {r['right_first']:.1%} | {r['by_language']['kk']['right_first']:.1%} | "
            f"{r['by_language']['ru']['right_first']:.1%} | "
            f"{r['by_script']['latin_or_mixed']['right_first']:.1%} | "
            f"{r['long']['right_first']:.1%} | {r['typos']['right_first']:.1%} | "
            f"{r['right_among_offered']:.1%} | {r['out_of_scope_recall']:.1%} | "
            f"{r['conversations_right']:.1%} | {r['follow_ups_right']:.1%} | {seconds:.0f} |"
        )
    table = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text(table, encoding="utf-8")
    return table


def folds(data: list[tuple[str, str]], k: int, seed: int = 7) -> list[list[int]]:
    """Indices of `data` in k folds, each class spread evenly over them."""
    by_class: dict[str, list[int]] = {}
    for index, (_, label) in enumerate(data):
        by_class.setdefault(label, []).append(index)
    assigned: list[list[int]] = [[] for _ in range(k)]
    shuffle = random.Random(seed)
    for indices in by_class.values():
        shuffle.shuffle(indices)
        for position, index in enumerate(indices):
            assigned[position % k].append(index)
    return assigned


def decide(parse: dict[str, Any], threshold: float, ambiguity: float, close: float,
           suggest_min: float) -> tuple[str | None, list[str]]:  # fmt: skip
    """What the bot does at these settings: (the class it answers, or None, and the classes
    it offers instead: none when it falls back with nothing to show)."""
    intents = [i for i in parse.get("intent_ranking") or [] if i["name"] != FALLBACK]
    if not intents:
        return None, []
    top = float(intents[0]["confidence"])
    second = float(intents[1]["confidence"]) if len(intents) > 1 else 0.0
    classes = ranking(parse)
    if top < threshold or top - second < ambiguity:
        return None, [label for label, score in classes[:3] if score >= suggest_min]
    name = intents[0]["name"]
    if name not in RETRIEVAL_INTENTS:
        return name, []
    own = [(label, score) for label, score in classes if label.startswith(name + "/")]
    near = [label for label, score in own if score >= own[0][1] - close][:3]
    return (near[0], []) if len(near) == 1 else (None, near)


def scores(predictions: list[tuple[str, dict[str, Any]]], threshold: float, ambiguity: float,
           close: float, suggest_min: float) -> tuple[float, float, float]:  # fmt: skip
    """Right first, right among what was offered, and out-of-scope recall (declined: out of
    scope, or "not understood" with nothing offered)."""
    first = offered = declined = oos = 0
    for truth, parse in predictions:
        answered, options = decide(parse, threshold, ambiguity, close, suggest_min)
        first += answered == truth
        offered += answered == truth or truth in options
        if truth == OUT_OF_SCOPE:
            oos += 1
            declined += answered == OUT_OF_SCOPE or (answered is None and not options)
    n = max(1, len(predictions))
    return first / n, offered / n, declined / max(1, oos)


def _slim(parse: dict[str, Any]) -> dict[str, Any]:
    """What the settings need of a parse (kept in reports/oof_predictions.json)."""
    selectors = parse.get("response_selector") or {}
    return {
        "intent_ranking": parse.get("intent_ranking") or [],
        "response_selector": {
            intent: {"ranking": (selectors.get(intent) or {}).get("ranking") or []}
            for intent in RETRIEVAL_INTENTS
        },
    }


def predict_out_of_fold(k: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """Each training example predicted by a model trained on the other folds, no fallback."""
    # Rasa takes seconds to import: only this experiment's training needs it.
    from rasa.model_training import train_nlu

    prepare_training()
    data = examples()
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    predictions: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, held in enumerate(folds(data, k)):
            work = Path(scratch) / f"fold{number}"
            work.mkdir()
            (work / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
            held_set = set(held)
            grouped: dict[str, list[str]] = {}
            for i, (text, label) in enumerate(data):
                if i not in held_set:
                    grouped.setdefault(label, []).append(text)
            (work / "nlu.yml").write_text(nlu_yaml(grouped, "Fold."), encoding="utf-8")
            model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work),
                              fixed_model_name="nlu", domain=str(BUILD / "domain.yml"))  # fmt: skip
            parse = local_parser(Path(str(model)))
            predictions += [(data[i][1], _slim(parse(data[i][0]))) for i in held]
            print(f"fold {number + 1}/{k} predicted", flush=True)
    return predictions


def tune(out: Path, rescore: bool) -> str:
    """The settings that answer most out-of-fold questions right, out of scope declined at
    the gate; then `suggest_min`, the floor of the "did you mean" buttons."""
    saved = out / "oof_predictions.json"
    if rescore and saved.exists():
        predictions = [(t, p) for t, p in json.loads(saved.read_text(encoding="utf-8"))]
    else:
        predictions = predict_out_of_fold()
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(predictions, ensure_ascii=False), encoding="utf-8")
    target = quality()["evaluation"]["targets"]["out_of_scope_recall"] + RECALL_MARGIN
    grid = itertools.product([0.1, 0.2, 0.25, 0.3, 0.4, 0.5], [0.0, 0.05, 0.1, 0.2],
                             [0.05, 0.1, 0.15, 0.2, 0.3], [0.05, 0.1, 0.2])  # fmt: skip
    scored = sorted(
        ((*scores(predictions, t, a, c, s), t, a, c, s) for t, a, c, s in grid),
        key=lambda row: (row[2] >= target, row[0] + 0.5 * row[1]),
        reverse=True,
    )
    first, offered, recall, threshold, ambiguity, close, suggest = scored[0]
    lines = [
        f"Out-of-fold predictions for {len(predictions)} training examples (3 folds); "
        f"out-of-scope recall required: {target:.0%} (the gate and a margin of "
        f"{RECALL_MARGIN:.0%}).",
        "",
        "| threshold | ambiguity | close | suggest_min | right first | right among offered "
        "| out of scope |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {t} | {a} | {c} | {s} | {f:.1%} | {o:.1%} | {r:.1%} |"
            for f, o, r, t, a, c, s in scored[:12]
        ),
        "",
        f"Chosen: threshold {threshold}, ambiguity_threshold {ambiguity}, close {close}, "
        f"suggest_min {suggest} (right first {first:.1%}, right among offered {offered:.1%}, "
        f"out of scope {recall:.1%}).",
    ]
    table = "\n".join(lines) + "\n"
    (out / "thresholds.md").write_text(table, encoding="utf-8")
    return table


def main() -> None:
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("experiment", choices=["ablation", "tune"])
    parser_.add_argument("--out", type=Path, default=REPORTS)
    parser_.add_argument(
        "--rescore", action="store_true", help="tune: reuse the saved out-of-fold predictions"
    )
    args = parser_.parse_args()
    print(ablation(args.out) if args.experiment == "ablation" else tune(args.out, args.rescore))


if __name__ == "__main__":
    main()
