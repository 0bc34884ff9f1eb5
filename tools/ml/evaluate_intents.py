"""A diagnostic: how well the trained model names the intent of the old held-out messages.

What citizens get is scored end to end by `make evaluate` (tools/ml/evaluate.py); this older
measure scores only the intent the model names, which can be right while the answer is not.
It stays as a diagnostic of the model alone (`python -m tools.ml.evaluate_intents`), with no gate.
Its set (evaluation/intents_heldout.yml) was written apart from the training data and is
never trained on. Each message is parsed by the model as the bot parses it, fallback included,
and the intent it ends with is compared with the label: a message the bot declines (the
fallback, or out of scope) counts as `out_of_scope`, since both say "I cannot answer this" and
offer a person. The FAQ's retrieval intents count with their topic (`faq/hkko`).

Writes `reports/intents.json`, `reports/intents.md`, `reports/intents_confusion.png` and
`reports/nlu_errors.csv` (the messages it got wrong, to study).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from komekshi.core.settings import ROOT
from komekshi.core.vocabulary import FALLBACK, OUT_OF_SCOPE
from tools.ml.heldout import script_group, share

HELDOUT = ROOT / "evaluation" / "intents_heldout.yml"
REPORTS = ROOT / "reports"
DECLINED = OUT_OF_SCOPE

Parse = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Sample:
    text: str
    intent: str
    language: str

    @property
    def script(self) -> str:
        return script_group(self.text)


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    intent: str
    confidence: float
    language: str | None


def load_samples(path: Path = HELDOUT) -> list[Sample]:
    with path.open(encoding="utf-8") as file:
        data = yaml.safe_load(file)
    return [Sample(m["text"], m["intent"], m["language"]) for m in data["messages"]]


def predicted_intent(parse: dict[str, Any]) -> tuple[str, float]:
    """The intent the bot acts on: the FAQ topic for `faq`, `out_of_scope` when it declines."""
    intent = parse.get("intent") or {}
    name = intent.get("name") or FALLBACK
    confidence = float(intent.get("confidence") or 0.0)
    selector = (parse.get("response_selector") or {}).get(name) or (
        parse.get("response_selector") or {}
    ).get("default")
    if selector and name == "faq":
        key = (selector.get("response") or {}).get("intent_response_key")
        name = key or name
    return (DECLINED if name == FALLBACK else name), confidence


def outcome(sample: Sample, parse: dict[str, Any]) -> Outcome:
    intent, confidence = predicted_intent(parse)
    languages = [e["value"] for e in parse.get("entities") or [] if e.get("entity") == "language"]
    return Outcome(sample, intent, confidence, languages[0] if languages else None)


def _macro_f1(outcomes: list[Outcome]) -> float:
    # scikit-learn takes a second to import: only the scoring needs it.
    from sklearn.metrics import f1_score

    if not outcomes:
        return 0.0
    truth = [o.sample.intent for o in outcomes]
    return round(
        float(
            f1_score(
                truth, [o.intent for o in outcomes], labels=sorted(set(truth)), average="macro"
            )
        ),
        4,
    )


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """Every number of the evaluation, and the quality gates with their verdict."""
    # scikit-learn takes a second to import: only the scoring needs it.
    from sklearn.metrics import precision_recall_fscore_support

    def accuracy(group: list[Outcome]) -> float:
        return share(o.intent == o.sample.intent for o in group)

    by_language = {
        language: [o for o in outcomes if o.sample.language == language]
        for language in ("kk", "ru")
    }
    by_script = {
        script: [o for o in outcomes if o.sample.script == script]
        for script in ("cyrillic", "latin_or_mixed")
    }
    labels = sorted({o.sample.intent for o in outcomes})
    precision, recall, f1, support = precision_recall_fscore_support(
        [o.sample.intent for o in outcomes],
        [o.intent for o in outcomes],
        labels=labels,
        zero_division=0,
    )
    per_intent = {
        label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }  # fmt: skip
    oos = [o for o in outcomes if o.sample.intent == DECLINED]
    result: dict[str, Any] = {
        "messages": len(outcomes),
        "intent_accuracy": accuracy(outcomes),
        "intent_macro_f1": _macro_f1(outcomes),
        "by_language": {
            language: {
                "messages": len(group),
                "accuracy": accuracy(group),
                "macro_f1": _macro_f1(group),
            }
            for language, group in by_language.items()
        },
        "by_script": {
            script: {
                "messages": len(group),
                "accuracy": accuracy(group),
                "macro_f1": _macro_f1(group),
            }
            for script, group in by_script.items()
        },
        "out_of_scope_recall": share(o.intent == DECLINED for o in oos),
        "language_detection": share(o.language == o.sample.language for o in outcomes),
        "language_undecided": sum(o.language is None for o in outcomes),
        "per_intent": per_intent,
    }
    return result


def confusion_png(outcomes: list[Outcome], path: Path) -> None:
    # matplotlib and scikit-learn take seconds to import: only the report's picture needs them.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = sorted({o.sample.intent for o in outcomes} | {o.intent for o in outcomes})
    figure, axes = plt.subplots(figsize=(13, 11))
    ConfusionMatrixDisplay.from_predictions(
        [o.sample.intent for o in outcomes],
        [o.intent for o in outcomes],
        labels=labels,
        xticks_rotation="vertical",
        colorbar=False,
        ax=axes,
    )
    axes.set_title("Held-out intents: true (rows) vs predicted (columns)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# NLU evaluation on the held-out set ({result['messages']} messages)",
        "",
        f"Model: `{result.get('model', '')}`, {result.get('date', '')}. A diagnostic of the "
        "intent alone: what citizens get is `make evaluate`.",
        "",
        f"Intent accuracy {result['intent_accuracy']:.1%}, "
        f"macro-F1 {result['intent_macro_f1']:.3f}; "
        f"language undecided for {result['language_undecided']} messages.",
        "",
        "| group | messages | accuracy | macro-F1 |",
        "| --- | --- | --- | --- |",
    ]
    for kind in ("by_language", "by_script"):
        for group, numbers in result[kind].items():
            lines.append(
                f"| {group} | {numbers['messages']} | {numbers['accuracy']:.1%} | "
                f"{numbers['macro_f1']:.3f} |"
            )
    lines += [
        "",
        "| intent | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for intent, numbers in result["per_intent"].items():
        lines.append(
            f"| {intent} | {numbers['precision']:.2f} | {numbers['recall']:.2f} | "
            f"{numbers['f1']:.2f} | {numbers['support']} |"
        )
    lines += ["", "![confusion matrix](confusion_matrix.png)"]
    return "\n".join(lines) + "\n"


def evaluate(parse: Parse, samples: list[Sample]) -> tuple[dict[str, Any], list[Outcome]]:
    outcomes = [outcome(sample, parse(sample.text)) for sample in samples]
    return metrics(outcomes), outcomes


def write(result: dict[str, Any], outcomes: list[Outcome], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "intents.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "intents.md").write_text(markdown(result), encoding="utf-8")
    confusion_png(outcomes, out / "intents_confusion.png")
    with (out / "nlu_errors.csv").open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "language", "expected", "predicted", "confidence", "detected"])
        for o in outcomes:
            if o.intent != o.sample.intent or o.language != o.sample.language:
                writer.writerow([o.sample.text, o.sample.language, o.sample.intent, o.intent,
                                 f"{o.confidence:.3f}", o.language or ""])  # fmt: skip


def local_parser(model: Path) -> Parse:
    """Parse with the model loaded in this process, as the Rasa server would."""
    # Rasa takes seconds to import: only parsing with a model needs it.
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> dict[str, Any]:
        result: dict[str, Any] = loop.run_until_complete(agent.parse_message(text))
        return result

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description="The intents of the old held-out set.")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "komekshi.tar.gz")
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args()
    result, outcomes = evaluate(local_parser(args.model), load_samples())
    result["model"] = str(args.model)
    result["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write(result, outcomes, args.out)
    print(markdown(result).split("\n\n| group")[0])
    print(f"\nWrote {args.out}/intents.md, intents.json, intents_confusion.png, nlu_errors.csv")


if __name__ == "__main__":
    main()
