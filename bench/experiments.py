"""NLU experiments on the held-out set: the ablation table and the confidence thresholds.

`python -m bench.experiments ablation` trains, in one run, Rasa's default pipeline and ours
with and without its parts, and evaluates each on tests/data/nlu_heldout.yml, writing
reports/ablation.md (docs/nlu.md shows the last table).

`python -m bench.experiments tune` chooses the fallback threshold, the ambiguity threshold
and `suggest_min` without looking at the held-out set: it trains three models, each on two
thirds of the training questions, predicts the third they did not see, and on those
out-of-fold predictions picks the most accurate thresholds that keep the out-of-scope recall
at its gate, then the `suggest_min` whose "did you mean" buttons help most (`tune`). Writes
reports/thresholds.md and the predictions (reports/oof_predictions.json, for --rescore).

Both need `make train` first (they read the built data under build/).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.confidence import ranking
from bot.content import ROOT, nlu_yaml
from bot.evaluate import DECLINED, evaluate, load_samples

BUILD = ROOT / "build"
RECALL_MARGIN = 0.02
REPORTS = ROOT / "reports"
CONFIG = ROOT / "config.yml"

# Rasa 3.6's default pipeline, as `rasa init` writes it.
RASA_DEFAULT: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]


def examples() -> list[tuple[str, str]]:
    """(text, intent) of every training example Rasa gets (build/nlu/*.yml)."""
    found = []
    for path in sorted((BUILD / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                if line.strip().startswith("- ") and "intent" in item:
                    found.append((line.strip()[2:], item["intent"]))
    return found


def _config(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    base = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return {"recipe": "default.v1", "language": base["language"], "pipeline": pipeline}


def variants() -> dict[str, list[dict[str, Any]]]:
    """The pipelines the ablation compares."""
    ours: list[dict[str, Any]] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["pipeline"]

    def without(part: str) -> list[dict[str, Any]]:
        return [c for c in ours if not c["name"].endswith(part)]

    def plain_tokens() -> list[dict[str, Any]]:
        changed = copy.deepcopy(ours)
        for component in changed:
            if component["name"].endswith("SpacyLemmaTokenizer"):
                component.update({"fold_latin": False, "lemmas": False})
        return changed

    def with_diet() -> list[dict[str, Any]]:
        # DIET does not pick FAQ topics: Rasa's ResponseSelector does, after it.
        diet = {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True,
                "entity_recognition": False, "random_seed": 42}  # fmt: skip
        selector = {"name": "ResponseSelector", "epochs": 60, "constrain_similarities": True,
                    "random_seed": 42}  # fmt: skip
        changed = []
        for component in ours:
            if component["name"].endswith("LinearIntentClassifier"):
                changed += [diet, selector]
            else:
                changed.append(component)
        return changed

    return {
        "Rasa default pipeline": RASA_DEFAULT,
        "ours": ours,
        "ours with DIET instead of the linear classifier": with_diet(),
        "ours without dense sentence features": without("SentenceEmbeddingFeaturizer"),
        "ours without folding and lemmas": plain_tokens(),
    }


def train(pipeline: list[dict[str, Any]], data: list[tuple[str, str]], work: Path) -> Path:
    """An NLU model trained in this process (the sentence model's cache is shared)."""
    from rasa.model_training import train_nlu

    work.mkdir(parents=True, exist_ok=True)
    (work / "config.yml").write_text(yaml.safe_dump(_config(pipeline)), encoding="utf-8")
    grouped: dict[str, list[str]] = {}
    for text, intent in data:
        grouped.setdefault(intent, []).append(text)
    (work / "nlu.yml").write_text(nlu_yaml(grouped, "Experiment data."), encoding="utf-8")
    model = train_nlu(
        str(work / "config.yml"),
        str(work / "nlu.yml"),
        str(work),
        fixed_model_name="nlu",
        domain=str(BUILD / "domain.yml"),
    )
    if model is None:
        raise RuntimeError(f"training failed in {work}")
    return Path(model)


def parser(model: Path) -> Callable[[str], dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def ablation(out: Path) -> str:
    data, samples = examples(), load_samples()
    rows: list[tuple[str, dict[str, Any], float, float]] = []
    with tempfile.TemporaryDirectory() as work:
        for name, pipeline in variants().items():
            started = time.monotonic()
            model = train(pipeline, data, Path(work) / str(len(rows)))
            seconds = time.monotonic() - started
            parse = parser(model)
            timings: list[float] = []

            def timed(
                text: str,
                parse: Callable[[str], dict[str, Any]] = parse,
                timings: list[float] = timings,
            ) -> dict[str, Any]:
                begun = time.perf_counter()
                result = parse(text)
                timings.append(time.perf_counter() - begun)
                return result

            result, _ = evaluate(timed, samples)
            p95 = statistics.quantiles(timings, n=20)[-1] * 1000
            rows.append((name, result, seconds, p95))
            print(f"{name}: accuracy {result['intent_accuracy']:.1%}", flush=True)
    lines = [
        f"Held-out set: {len(samples)} messages; training data: {len(data)} examples. "
        "Each pipeline trained and evaluated in the same run (`make ablation`).",
        "",
        "| pipeline | accuracy | macro-F1 | kk | ru | Latin/mixed | out-of-scope recall "
        "| training, s | parse p95, ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result, seconds, p95 in rows:
        lines.append(
            f"| {name} | {result['intent_accuracy']:.1%} | {result['intent_macro_f1']:.3f} | "
            f"{result['by_language']['kk']['accuracy']:.1%} | "
            f"{result['by_language']['ru']['accuracy']:.1%} | "
            f"{result['by_script']['latin_or_mixed']['accuracy']:.1%} | "
            f"{result['out_of_scope_recall']:.1%} | {seconds:.0f} | {p95:.0f} |"
        )
    table = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text(table, encoding="utf-8")
    return table


def folds(data: list[tuple[str, str]], k: int, seed: int = 7) -> list[list[int]]:
    """Indices of `data` in k folds, each intent spread evenly over them."""
    by_intent: dict[str, list[int]] = {}
    for index, (_, intent) in enumerate(data):
        by_intent.setdefault(intent, []).append(index)
    assigned: list[list[int]] = [[] for _ in range(k)]
    shuffle = random.Random(seed)
    for indices in by_intent.values():
        shuffle.shuffle(indices)
        for position, index in enumerate(indices):
            assigned[position % k].append(index)
    return assigned


def _answered(parse: dict[str, Any], threshold: float, ambiguity: float) -> str | None:
    """The intent the bot acts on at these thresholds; None when it falls back."""
    ranked = ranking(parse)
    if not ranked:
        return None
    top, confidence = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if confidence < threshold or confidence - runner_up < ambiguity:
        return None
    return top


def gate_scores(
    predictions: list[tuple[str, dict[str, Any]]], threshold: float, ambiguity: float
) -> tuple[float, float]:
    """Accuracy and out-of-scope recall as `make evaluate` counts them (a fallback declines)."""
    outcomes = [
        (truth, _answered(parse, threshold, ambiguity) or DECLINED) for truth, parse in predictions
    ]
    accuracy = sum(truth == got for truth, got in outcomes) / len(outcomes)
    declined = [got == DECLINED for truth, got in outcomes if truth == DECLINED]
    return accuracy, sum(declined) / max(1, len(declined))


def suggestion_score(
    predictions: list[tuple[str, dict[str, Any]]],
    threshold: float,
    ambiguity: float,
    suggest_min: float,
    labelled: set[str],
) -> float:
    """Over in-scope questions the bot is unsure of: buttons holding the right topic count 1,
    buttons that all miss -0.5 (a detour), no buttons 0 (the plain "please rephrase")."""
    total, unsure = 0.0, 0
    for truth, parse in predictions:
        if truth == DECLINED or _answered(parse, threshold, ambiguity) is not None:
            continue
        unsure += 1
        offered = [i for i, c in ranking(parse) if i in labelled and c >= suggest_min][:3]
        total += 1.0 if truth in offered else (-0.5 if offered else 0.0)
    return total / max(1, unsure)


def _slim(parse: dict[str, Any]) -> dict[str, Any]:
    """What the thresholds need of a parse (kept in reports/oof_predictions.json)."""
    selector = (parse.get("response_selector") or {}).get("default") or {}
    return {
        "intent_ranking": parse.get("intent_ranking") or [],
        "response_selector": {"default": {"ranking": selector.get("ranking") or []}},
    }


def predict_out_of_fold(k: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """Each training example predicted by a model trained on the other folds, no fallback."""
    data = examples()
    pipeline = [
        c for c in yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["pipeline"]
        if c["name"] != "FallbackClassifier"
    ]  # fmt: skip
    predictions: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as work:
        for number, held in enumerate(folds(data, k)):
            held_set = set(held)
            train_part = [example for i, example in enumerate(data) if i not in held_set]
            parse = parser(train(pipeline, train_part, Path(work) / f"fold{number}"))
            predictions += [(data[i][1], _slim(parse(data[i][0]))) for i in held]
            print(f"fold {number + 1}/{k} predicted", flush=True)
    return predictions


def tune(out: Path, rescore: bool) -> str:
    """Thresholds for the quality gates: the most accurate pair of fallback thresholds whose
    out-of-scope recall meets its gate, then the `suggest_min` that helps most."""
    from bot.content import Content
    from bot.settings import quality

    saved = out / "oof_predictions.json"
    if rescore and saved.exists():
        predictions = [(t, p) for t, p in json.loads(saved.read_text(encoding="utf-8"))]
    else:
        predictions = predict_out_of_fold()
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(predictions, ensure_ascii=False), encoding="utf-8")
    # Out-of-fold recall is an estimate: keep a margin over the gate, so the model still
    # meets it on messages it has never seen.
    target = quality()["evaluation"]["out_of_scope_recall"] + RECALL_MARGIN
    pairs = itertools.product(
        [0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6], [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
    )
    scored = sorted(
        ((*gate_scores(predictions, t, a), t, a) for t, a in pairs),
        key=lambda row: (row[1] >= target, row[0]),
        reverse=True,
    )
    accuracy, recall, threshold, ambiguity = scored[0]
    labelled = set(Content.load().labels())
    floors = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
    suggest = max(
        floors, key=lambda s: suggestion_score(predictions, threshold, ambiguity, s, labelled)
    )
    plain_accuracy, _ = gate_scores(predictions, 0.0, 0.0)
    helped = suggestion_score(predictions, threshold, ambiguity, suggest, labelled)
    lines = [
        f"Out-of-fold predictions for {len(predictions)} training examples (3 folds).",
        f"Accuracy with no fallback: {plain_accuracy:.1%}.",
        f"Out-of-scope recall required: {target:.0%} (the gate and a margin of "
        f"{RECALL_MARGIN:.0%}).",
        "",
        "| threshold | ambiguity_threshold | accuracy | out-of-scope recall |",
        "| --- | --- | --- | --- |",
        *(f"| {t} | {a} | {acc:.1%} | {rec:.1%} |" for acc, rec, t, a in scored[:12]),
        "",
        f"Chosen: threshold {threshold}, ambiguity_threshold {ambiguity} "
        f"(accuracy {accuracy:.1%}, out-of-scope recall {recall:.1%}); suggest_min {suggest} "
        f"(suggestion score {helped:.2f}).",
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
