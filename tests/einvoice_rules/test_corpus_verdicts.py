"""Verdicts on the public corpora (``../shared/einvoice``, skipped when absent).

* Every XRechnung test-suite instance is valid per the official validator: no error here
  either (and no warning).
* The correct ZUGFeRD/Factur-X samples of the profiles BASIC, EN16931, EXTENDED and
  XRechnung, and the XML-Rechnung samples, pass the EN 16931 rules.
* MINIMUM, BASIC WL and ZUGFeRD 1.0 are not checked as invoices: DMS-PROFILE and nothing else.
* The files the corpus expects a validator to flag (``fail/``) are flagged - with warnings,
  because the official EN 16931/XRechnung rules do not make them invalid (see the comments).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.einvoice import parse_invoice
from ingest.einvoice.model import Profile
from ingest.einvoice.validation import Report, validate
from tests.einvoice.conftest import CORPUS, SKIP_REASON, corpus_files

FILES = corpus_files()
XRECHNUNG = [p for p in FILES if "xrechnung-testsuite" in p.parts]
ZUGFERD = [p for p in FILES if "zugferd-corpus" in p.parts]
NOT_CHECKED = (Profile.MINIMUM, Profile.BASIC_WL, Profile.ZUGFERD_1)

#: fail/ samples: the rule that flags each, and why it is not an error
EXPECTED_FLAGS = {
    # line 1: 400 x 0.10 = 40.00 but BT-131 says 316.00. The EN 16931 schematron does not
    # check BT-131 against quantity x price (Peppol does, PEPPOL-EN16931-R120): a warning.
    "noNetPriceValidation.xml": "DMS-CALC-01",
    # a credit (negative amounts) sent as commercial invoice 380 instead of credit note 381;
    # allowed by EN 16931, flagged as a plausibility warning.
    "Avoir_FR_type380_BASIC.pdf": "DMS-SIGN",
    # a PDF with both a ZUGFeRD 1.0 and a ZUGFeRD 2 invoice: the reader uses factur-x.xml and
    # says so; the invoice data itself is consistent.
    "MustangRE-20171118_506_ZUGFeRD1and2.pdf": "DMS-SOURCE",
}


def _params(paths: list[Path]) -> list:
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in paths]


def _describe(report: Report) -> list[str]:
    return [f"{f.severity} {f.rule_id}: {f.message_en} @ {f.location}" for f in report.findings]


@pytest.mark.parametrize("path", _params(XRECHNUNG))
def test_every_xrechnung_testsuite_instance_is_valid(path: Path) -> None:
    report = validate(parse_invoice(path))
    assert report.valid, _describe(report)
    assert report.errors == []
    assert report.warnings == [], _describe(report)
    assert "XRechnung" in report.checked


@pytest.mark.parametrize("path", _params([p for p in ZUGFERD if "fail" not in p.parts]))
def test_correct_zugferd_samples(path: Path) -> None:
    parsed = parse_invoice(path)
    report = validate(parsed)
    if parsed.invoice.profile in NOT_CHECKED:
        assert not report.valid
        assert report.rule_ids("error") == {"DMS-PROFILE"}
        assert report.note and report.note == parsed.einvoice_note
        assert "§ 14 UStG" in report.errors[0].message_de
        assert report.checked == ("schema",)
    else:
        assert report.valid, _describe(report)
        assert "EN 16931" in report.checked


@pytest.mark.parametrize("path", _params([p for p in ZUGFERD if "fail" in p.parts]))
def test_failing_zugferd_samples_are_flagged(path: Path) -> None:
    report = validate(parse_invoice(path))
    expected = EXPECTED_FLAGS[path.name]
    assert expected in report.rule_ids("warning"), _describe(report)


def test_the_expected_fail_samples_are_all_there() -> None:
    if not FILES:
        pytest.skip(SKIP_REASON)
    assert {p.name for p in ZUGFERD if "fail" in p.parts} == set(EXPECTED_FLAGS)
