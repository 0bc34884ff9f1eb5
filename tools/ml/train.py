"""`make train`'s training: Rasa's own, without the cache it does not need.

Rasa keeps a training cache so that a second `rasa train` can reuse what did not change; for
it, a hook fingerprints every node's inputs and output. On Kömekshi's 30,000 examples that is
minutes of hashing features (each featurizer's output is the whole training data with its
features), and `make train` never retrains what did not change anyway (it runs only when the
content, the pipeline or the components changed, Makefile). So this process turns the cache
off (RASA_MAX_CACHE_SIZE=0) and its hook with it, then runs `rasa train` with the arguments
it was given (`python -m tools.ml.train --data … --domain … --config … --out …`). Rasa's warning
that the FAQ topics have no ResponseSelector to learn them is silenced too: the intent
classifier picks the topics (komekshi/rasa_server/components/intent_classifier.py).
"""

from __future__ import annotations

import os
import sys
import warnings

# Rasa's warning, at training, that examples of the FAQ topics have no ResponseSelector.
TOPICS_UNUSED = "You have defined training data with examples for training a response"


def prepare_training() -> None:
    """The training process's start-up: Rasa's cache and its fingerprinting hook, off; the
    warning that does not apply (the intent classifier picks the topics), silenced."""
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    warnings.filterwarnings("ignore", message=TOPICS_UNUSED)
    # Rasa takes seconds to import: imported by the process that trains, when it trains.
    from rasa.engine.training.hooks import TrainingHook

    def no_fingerprint(self: TrainingHook, *args: object, **kwargs: object) -> dict[str, str]:
        return {"fingerprint_key": ""}

    def no_caching(self: TrainingHook, *args: object, **kwargs: object) -> None:
        return None

    TrainingHook.on_before_node = no_fingerprint  # type: ignore[method-assign,assignment]
    TrainingHook.on_after_node = no_caching  # type: ignore[method-assign,assignment]


def main() -> None:
    """`rasa train` with its arguments, in this process, once the cache is off."""
    prepare_training()
    # Rasa takes seconds to import: imported by the process that trains, when it trains.
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "train", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
