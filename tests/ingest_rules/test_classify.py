"""The document-type classifier: training, prediction, persistence, cross-validated accuracy,
and how it is combined with the keyword rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from dms.errors import InvalidInput
from ingest import classify
from ingest.extract import Field, classify_by_rules
from tests.ingest_rules.corpus import make_corpus
from tests.ingest_rules.letters import ALL


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    return make_corpus(60, seed=7)


@pytest.fixture(scope="module")
def model(corpus: list[tuple[str, str]]) -> classify.Model:
    return classify.train(corpus)


def test_corpus_is_varied_and_balanced(corpus: list[tuple[str, str]]) -> None:
    labels = [label for _, label in corpus]
    assert {labels.count(k) for k in set(labels)} == {60}
    assert len(set(labels)) == 6
    assert len({text for text, _ in corpus}) == len(corpus)  # no duplicates


def test_cross_validated_accuracy(corpus: list[tuple[str, str]]) -> None:
    report = classify.evaluate(corpus, folds=5)
    print("\n" + report.summary())  # shown with -s; quoted in the issue note
    assert report.n_examples == 360 and report.folds == 5 and len(report.fold_accuracies) == 5
    assert report.accuracy >= 0.9
    assert all(r.recall >= 0.8 and r.precision >= 0.8 for r in report.per_class.values())
    assert sum(map(sum, report.confusion)) == 360
    assert sum(report.confusion[i][i] for i in range(6)) == round(report.accuracy * 360)
    rules_only = sum(classify_by_rules(text)[0].value == label for text, label in corpus)
    print(f"Stichwortregeln allein: {rules_only / len(corpus):.1%}")


def test_predicts_the_sample_letters(model: classify.Model) -> None:
    expected = {
        "invoice": "invoice",
        "objection": "objection",
        "court": "court",
        "advertising": "advertising",
        "application": "application",
        "bussgeld_einspruch": "objection",
        "amtsgericht": "court",
    }
    right = sum(classify.predict(model, ALL[name])[0] == label for name, label in expected.items())
    assert right >= len(expected) - 1
    label, prob = classify.predict(model, ALL["invoice"])
    assert label == "invoice" and 0.5 < prob <= 1


def test_noise_that_breaks_the_keywords(model: classify.Model) -> None:
    """Character n-grams read through OCR damage that defeats the exact keyword rules."""
    text = (
        "Rechnunq Nr. 4711\nfür die Lieferunq von Kopierpapier berechnen wir:\n"
        "Nettobetraq 100,00 EUR zzq1. 19 % MwSt. Gesarntbetraq 119,00 EUR\nZah1bar sofort."
    )
    assert classify.predict(model, text)[0] == "invoice"


def test_predict_proba_sums_to_one(model: classify.Model) -> None:
    probs = classify.predict_proba(model, "irgendein Text")
    assert set(probs) == set(model.labels) and abs(sum(probs.values()) - 1) < 1e-6
    assert classify.predict(model, "")[0] in model.labels


def test_save_and_load(model: classify.Model, tmp_path: Path) -> None:
    path = classify.save(model, tmp_path / "models" / "doctype.joblib")
    loaded = classify.load(path)
    assert loaded.labels == model.labels and loaded.n_examples == 360
    for text in ALL.values():
        assert classify.predict(loaded, text) == classify.predict(model, text)
    assert not list(path.parent.glob("*.tmp"))


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.joblib"
    bogus.write_bytes(b"not a model")
    with pytest.raises(InvalidInput):
        classify.load(bogus)
    import joblib

    joblib.dump({"a": 1}, tmp_path / "dict.joblib")
    with pytest.raises(InvalidInput, match="Modellformat"):
        classify.load(tmp_path / "dict.joblib")


def test_training_input_is_checked() -> None:
    with pytest.raises(InvalidInput):
        classify.train([])
    with pytest.raises(InvalidInput, match="zwei"):
        classify.train([("a", "invoice"), ("b", "invoice")])
    with pytest.raises(InvalidInput):
        classify.train([("a", "invoice"), ("b",)])  # type: ignore[list-item]


def test_few_confirmed_decisions_still_train() -> None:
    """The first days of the mailroom: two examples per type (no calibration folds yet)."""
    tiny = [(text, label) for text, label in make_corpus(2, seed=1)]
    model = classify.train(tiny)
    label, prob = classify.predict(model, ALL["invoice"])
    assert label in model.labels and 0 < prob <= 1
    report = classify.evaluate(make_corpus(4, seed=2), folds=5)
    assert report.folds == 4  # no more folds than examples per class


def test_evaluate_summary_is_readable(corpus: list[tuple[str, str]]) -> None:
    report = classify.evaluate(corpus[:60], folds=3)
    text = report.summary()
    assert "Genauigkeit" in text and "invoice" in text and "Verwechslungen" in text


# -- combining rules and model -------------------------------------------------------------------


def test_confident_rules_win(model: classify.Model) -> None:
    decision = classify.combine(Field("court", 0.9), model, ALL["invoice"])
    assert (decision.label, decision.source) == ("court", "rules")


def test_weak_rules_yield_to_a_confident_model(model: classify.Model) -> None:
    text = ALL["invoice"].replace("RECHNUNG", "").replace("Rechnungsnummer", "Nr")
    decision = classify.combine(Field("advertising", 0.3), model, text)
    assert (decision.label, decision.source) == ("invoice", "classifier")
    assert decision.confidence >= 0.6


def test_agreement_raises_confidence(model: classify.Model) -> None:
    decision = classify.combine(Field("objection", 0.5), model, ALL["objection"])
    assert decision.source == "agreement" and decision.confidence > 0.5


def test_nobody_sure_gives_other_with_low_confidence(model: classify.Model) -> None:
    decision = classify.combine(Field("other", 0.3), None, "Hallo")
    assert (decision.label, decision.source) == ("other", "fallback")
    assert decision.confidence <= 0.2
    weak = classify.combine(Field("application", 0.4), None, "Antrag?")
    assert weak.label == "other" and weak.confidence <= 0.2


def test_decision_as_field_keeps_rule_evidence() -> None:
    rules, _ = classify_by_rules(ALL["objection"])
    decision = classify.combine(rules, None, ALL["objection"])
    field = decision.as_field(rules)
    assert field.value == "objection" and field.evidence == rules.evidence
