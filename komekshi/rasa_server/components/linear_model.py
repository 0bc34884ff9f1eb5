"""A linear classifier that trains in minutes on Kömekshi's ~200 classes and 30,000 examples,
with probabilities the fallback thresholds can rely on.

A multinomial logistic regression (lbfgs) needs over half an hour on this data (each of its
hundreds of iterations multiplies the whole sparse matrix by every class); a linear SVM
(liblinear, one class against the rest) is as accurate and trains in a minute or two
(docs/nlu.md). Its scores are not probabilities: a softmax with a temperature makes them so.
The temperature was chosen where a tenth of the training data, held back, was predicted best
(the lowest log-loss: 8 for C = 0.5, docs/nlu.md); it is a setting (config.yml), so that a
training fits the SVM once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.svm import LinearSVC


def softmax(scores: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    scaled = scores * temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class CalibratedLinearSVC:
    """LinearSVC with softmax probabilities (`predict_proba`, `classes_`, like sklearn's)."""

    def __init__(self, C: float = 0.5, temperature: float = 8.0, seed: int = 42) -> None:
        self.C = C
        self.temperature = temperature
        self.svc = LinearSVC(C=C, class_weight="balanced", random_state=seed)

    def fit(self, features: Any, labels: list[str]) -> CalibratedLinearSVC:
        self.svc.fit(features, np.asarray(labels))
        return self

    def decision(self, features: Any) -> NDArray[np.float64]:
        """The SVM's score of every class (rows: examples, columns: `classes_`)."""
        return np.atleast_2d(np.asarray(self.svc.decision_function(features), dtype=np.float64))

    @property
    def classes_(self) -> NDArray[Any]:
        return np.asarray(self.svc.classes_)

    def predict_proba(self, features: Any) -> NDArray[np.float64]:
        return softmax(self.decision(features), self.temperature)
