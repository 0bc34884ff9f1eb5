"""NLU experiments on the held-out set: the ablation table and the confidence thresholds.

`python -m bench.experiments ablation` trains, in one run, Rasa's default pipeline and ours
with and without its parts, and evaluates each on tests/data/nlu_heldout.yml, writing
reports/ablation.md (docs/nlu.md shows the last table).

`python -m bench.experiments tune` chooses the fallback threshold, the ambiguity threshold
and `suggest_min` without looking at the held-out set: it trains three models, each on two
thirds of the training questions, predicts the third they did not see, and picks the
values that serve citizens best on those out-of-fold predictions (see `utility`). Writes
reports/thresholds.md.

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
from bot.evaluate import DECLINED, evaluate, load_samples, predicted_intent

BUILD = ROOT / "build"
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

    return {
        "Rasa default pipeline": RASA_DEFAULT,
        "ours": ours,
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


def utility(answered: bool, right: bool, suggested: bool, out_of_scope: bool) -> float:
    """What a turn is worth to a citizen, by what the bot did with it.

    A right answer 1; a wrong one -2 (they act on it, or must start again); a "did you mean"
    that holds the right topic 0.5 (one more tap); a polite "I did not understand" or, for an
    out-of-scope question, declining 0.25; suggestions that miss 0.
    """
    if answered:
        return 1.0 if right else -2.0
    if out_of_scope:
        return 0.25 if not suggested else 0.0
    return 0.5 if right else (0.0 if suggested else 0.25)


def score(
    predictions: list[tuple[str, dict[str, Any]]],
    threshold: float,
    ambiguity: float,
    suggest_min: float,
    labelled: set[str],
) -> float:
    total = 0.0
    for truth, parse in predictions:
        ranked = ranking(parse)
        top, confidence = ranked[0] if ranked else ("", 0.0)
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        answered = confidence >= threshold and confidence - runner_up >= ambiguity
        offered = [i for i, c in ranked if i in labelled and c >= suggest_min][:3]
        out_of_scope = truth == DECLINED
        right = (top == truth) if answered else (truth in offered)
        total += utility(answered, right, bool(offered), out_of_scope)
    return total / len(predictions)


def tune(out: Path, k: int = 3) -> str:
    from bot.content import Content

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
            predictions += [(data[i][1], parse(data[i][0])) for i in held]
            print(f"fold {number + 1}/{k} predicted", flush=True)
    # The FAQ topic a retrieval question was labelled with is what the bot must find.
    labelled = set(Content.load().labels())
    grid = itertools.product(
        [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], [0.0, 0.05, 0.1, 0.2, 0.3], [0.05, 0.1, 0.15, 0.2, 0.3]
    )
    results = sorted(
        ((score(predictions, t, a, s, labelled), t, a, s) for t, a, s in grid), reverse=True
    )
    best = results[0]
    plain_accuracy = sum(predicted_intent(parse)[0] == truth for truth, parse in predictions) / len(
        predictions
    )
    lines = [
        f"Out-of-fold predictions for {len(predictions)} training examples ({k} folds).",
        f"Top-1 accuracy without any threshold: {plain_accuracy:.1%}.",
        "",
        "| utility | threshold | ambiguity_threshold | suggest_min |",
        "| --- | --- | --- | --- |",
        *(f"| {u:.3f} | {t} | {a} | {s} |" for u, t, a, s in results[:10]),
        "",
        f"Chosen: threshold {best[1]}, ambiguity_threshold {best[2]}, suggest_min {best[3]}.",
    ]
    table = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "thresholds.md").write_text(table, encoding="utf-8")
    (out / "thresholds.json").write_text(
        json.dumps({"threshold": best[1], "ambiguity_threshold": best[2], "suggest_min": best[3]}),
        encoding="utf-8",
    )
    return table


def main() -> None:
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("experiment", choices=["ablation", "tune"])
    parser_.add_argument("--out", type=Path, default=REPORTS)
    args = parser_.parse_args()
    print(ablation(args.out) if args.experiment == "ablation" else tune(args.out))


if __name__ == "__main__":
    main()
