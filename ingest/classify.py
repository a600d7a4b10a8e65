"""Document-type classifier that learns from the mailroom's confirmed decisions.

Features: TF-IDF over words (1-2-grams) and over character 3-5-grams within word
boundaries; the character n-grams carry the classifier through OCR noise ("Rechnunq",
"Widersprnch") that breaks exact keywords. Model: a linear SVM whose scores are turned into
probabilities by cross-validated sigmoid calibration (falls back to logistic regression when
a class has too few examples to calibrate). Numbers are folded to "0" so that amounts, dates
and reference numbers don't become vocabulary.

:func:`combine` decides between the keyword rules of :mod:`ingest.extract.doctype` and the
model: confident rules win, else a confident model, else "other" with low confidence.

Models are stored with joblib (pickle). Load only files this system wrote itself: unpickling
runs code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dms.errors import InvalidInput
from ingest.extract.model import DOCUMENT_TYPES
from ingest.extract.model import Field as ExtractedField

FORMAT_VERSION = 1
Example = tuple[str, str]

_DIGITS = re.compile(r"[0-9]")
_BLANKS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Preprocessing for both vectorizers (module level so that models pickle)."""
    return _BLANKS.sub(" ", _DIGITS.sub("0", text.casefold()))[:20_000]


def _pipeline(min_class_count: int, *, seed: int = 0):  # type: ignore[no-untyped-def]
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=normalise,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    min_df=1,
                    max_features=50_000,
                    token_pattern=r"(?u)\b\w\w+\b",
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=normalise,
                    analyzer="char_wb",
                    ngram_range=(3, 5),
                    sublinear_tf=True,
                    min_df=2 if min_class_count >= 5 else 1,
                    max_features=100_000,
                ),
            ),
        ]
    )
    if min_class_count >= 3:
        classifier: Any = CalibratedClassifierCV(
            LinearSVC(C=0.5, class_weight="balanced", random_state=seed),
            method="sigmoid",
            cv=min(3, min_class_count),
            ensemble=False,  # one calibrator per class on out-of-fold scores: 3x faster
        )
    else:
        classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class Model:
    """A trained classifier with what it was trained on."""

    pipeline: Any = field(repr=False)
    labels: tuple[str, ...]
    n_examples: int
    class_counts: dict[str, int]
    trained_at: str
    format_version: int = FORMAT_VERSION


def _check(examples: Sequence[Example]) -> tuple[list[str], list[str]]:
    if not examples:
        raise InvalidInput("Keine Trainingsbeispiele / no training examples")
    texts, labels = [], []
    for i, item in enumerate(examples):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise InvalidInput(f"Beispiel {i + 1}: (Text, Dokumentart) erwartet")
        text, label = item
        if not isinstance(text, str) or not isinstance(label, str) or not label:
            raise InvalidInput(f"Beispiel {i + 1}: Text und Dokumentart müssen Texte sein")
        texts.append(text)
        labels.append(label)
    if len(set(labels)) < 2:
        raise InvalidInput(
            "Mindestens zwei Dokumentarten zum Lernen nötig / need at least two labels"
        )
    return texts, labels


def train(examples: Sequence[Example], *, seed: int = 0) -> Model:
    """Fit a classifier on (text, label) pairs, e.g. the mailroom's confirmed decisions."""
    texts, labels = _check(examples)
    counts = Counter(labels)
    pipeline = _pipeline(min(counts.values()), seed=seed)
    pipeline.fit(texts, labels)
    return Model(
        pipeline=pipeline,
        labels=tuple(pipeline.classes_),
        n_examples=len(texts),
        class_counts=dict(sorted(counts.items())),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def predict(model: Model, text: str) -> tuple[str, float]:
    """(label, probability) of the most probable type."""
    probs = model.pipeline.predict_proba([text or ""])[0]
    best = int(probs.argmax())
    return str(model.pipeline.classes_[best]), float(probs[best])


def predict_proba(model: Model, text: str) -> dict[str, float]:
    probs = model.pipeline.predict_proba([text or ""])[0]
    return {str(c): float(p) for c, p in zip(model.pipeline.classes_, probs, strict=True)}


def save(model: Model, path: str | Path) -> Path:
    """Write the model (joblib) atomically: a half-written model is never loaded."""
    import os

    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(model, tmp)
    os.replace(tmp, path)
    return path


def load(path: str | Path) -> Model:
    """Read a model written by :func:`save` (trusted files only: this unpickles)."""
    import joblib

    try:
        model = joblib.load(Path(path))
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not a model"
        raise InvalidInput(f"{path} ist kein gespeichertes Klassifikationsmodell: {exc}") from exc
    if not isinstance(model, Model) or model.format_version != FORMAT_VERSION:
        raise InvalidInput(f"{path}: unbekanntes Modellformat / unknown model format")
    return model


# -- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassReport:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvaluationReport:
    """Cross-validated quality of the classifier on a set of examples."""

    accuracy: float
    fold_accuracies: tuple[float, ...]
    per_class: dict[str, ClassReport]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted
    n_examples: int
    folds: int

    @property
    def accuracy_std(self) -> float:
        import statistics

        return statistics.pstdev(self.fold_accuracies) if self.fold_accuracies else 0.0

    def summary(self) -> str:
        """A plain-text table for the CLI and the admin screen."""
        width = max(len(label) for label in self.labels)
        lines = [
            f"Kreuzvalidierung ({self.folds} Teile, {self.n_examples} Beispiele): "
            f"Genauigkeit {self.accuracy:.1%} ± {self.accuracy_std:.1%}",
            "",
            f"{'Art':<{width}}  Präzision  Trefferquote     F1  Anzahl",
        ]
        for label in self.labels:
            r = self.per_class[label]
            lines.append(
                f"{label:<{width}}  {r.precision:9.1%}  {r.recall:12.1%}  "
                f"{r.f1:5.2f}  {r.support:6d}"
            )
        lines += ["", "Verwechslungen (Zeile: richtig, Spalte: vorhergesagt)"]
        short = [label[:5] for label in self.labels]
        lines.append(" " * (width + 2) + " ".join(f"{s:>5}" for s in short))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}  " + " ".join(f"{n:5d}" for n in row))
        return "\n".join(lines)


def evaluate(examples: Sequence[Example], folds: int = 5, *, seed: int = 0) -> EvaluationReport:
    """Stratified k-fold cross-validation: accuracy, per-class precision/recall, confusion."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    texts, labels = _check(examples)
    counts = Counter(labels)
    folds = max(2, min(folds, min(counts.values())))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted: list[str] = [""] * len(texts)
    fold_acc: list[float] = []
    for train_idx, test_idx in splitter.split(texts, labels):
        fold_counts = Counter(labels[i] for i in train_idx)
        pipeline = _pipeline(min(fold_counts.values()), seed=seed)
        pipeline.fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        out = pipeline.predict([texts[i] for i in test_idx])
        for i, label in zip(test_idx, out, strict=True):
            predicted[i] = str(label)
        fold_acc.append(float(accuracy_score([labels[i] for i in test_idx], [str(x) for x in out])))
    order = [t for t in DOCUMENT_TYPES if t in counts] + sorted(set(counts) - set(DOCUMENT_TYPES))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=order, zero_division=0
    )
    matrix = confusion_matrix(labels, predicted, labels=order)
    return EvaluationReport(
        accuracy=float(accuracy_score(labels, predicted)),
        fold_accuracies=tuple(fold_acc),
        per_class={
            label: ClassReport(float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(order, precision, recall, f1, support, strict=True)
        },
        labels=tuple(order),
        confusion=tuple(tuple(int(n) for n in row) for row in matrix),
        n_examples=len(texts),
        folds=folds,
    )


# -- rules + model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeDecision:
    label: str
    confidence: float
    source: str  # "rules", "classifier", "agreement", "fallback"
    reason: str

    def as_field(self, evidence: ExtractedField[str] | None = None) -> ExtractedField[str]:
        """As an extraction field (keeps the rules' evidence when the label is theirs)."""
        spans = evidence.evidence if evidence is not None and evidence.value == self.label else ()
        return ExtractedField(self.label, self.confidence, spans)


def combine(
    rules: ExtractedField[str],
    model: Model | None,
    text: str,
    *,
    rule_threshold: float = 0.7,
    model_threshold: float = 0.6,
    fallback_confidence: float = 0.2,
) -> TypeDecision:
    """Rules win when confident; otherwise the classifier when it is; otherwise "other"."""
    if rules.value != "other" and rules.confidence >= rule_threshold:
        return TypeDecision(
            rules.value,
            rules.confidence,
            "rules",
            f"Stichwortregeln: {rules.value} ({rules.confidence:.0%})",
        )
    if model is not None:
        label, prob = predict(model, text)
        if label == rules.value and rules.value != "other":
            joint = 1 - (1 - prob) * (1 - rules.confidence)
            return TypeDecision(
                label,
                round(joint, 3),
                "agreement",
                f"Regeln und Klassifikator einig: {label} ({joint:.0%})",
            )
        if prob >= model_threshold:
            return TypeDecision(
                label, round(prob, 3), "classifier", f"Klassifikator: {label} ({prob:.0%})"
            )
    return TypeDecision(
        "other",
        fallback_confidence,
        "fallback",
        "Weder Regeln noch Klassifikator sicher: Sonstiges",
    )
