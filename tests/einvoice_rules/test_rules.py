"""Every rule alone: a violating invoice makes it fire, a satisfying one keeps it silent, in both
syntaxes and as UBL CreditNote (see ``cases.py``); the satisfying invoices are valid as a
whole, without warnings."""

from __future__ import annotations

import functools

import pytest

from ingest.einvoice import ParsedInvoice, parse_invoice
from ingest.einvoice.validation import RULES, check_rule, validate
from ingest.einvoice.validation.registry import Severity
from tests.einvoice_rules.cases import CASES

#: not for UBL CreditNotes: BR-CO-25 (BT-9 lives elsewhere; see the rule's note) and
#: DMS-SIGN (a credit note says so by its root), BR-DE-26 (384 is no credit note type code)
NOT_FOR_CREDIT_NOTES = frozenset({"BR-CO-25", "DMS-SIGN", "BR-DE-26"})
PARAMS = [
    pytest.param(rule_id, syntax, id=f"{rule_id}-{syntax}")
    for rule_id, case in sorted(CASES.items())
    for syntax in case.syntaxes
    + (
        ("ubl-creditnote",)
        if "ubl" in case.syntaxes and rule_id not in NOT_FOR_CREDIT_NOTES
        else ()
    )
]


@functools.cache
def _parsed(rule_id: str, syntax: str, ok: bool) -> ParsedInvoice:
    case = CASES[rule_id]
    return parse_invoice(case.ok_invoice(syntax) if ok else case.fail(syntax))


def test_every_rule_has_cases() -> None:
    assert sorted(set(RULES) - set(CASES)) == []
    assert sorted(set(CASES) - set(RULES)) == []


@pytest.mark.parametrize(("rule_id", "syntax"), PARAMS)
def test_rule_fires_on_the_violating_invoice(rule_id: str, syntax: str) -> None:
    parsed = _parsed(rule_id, syntax, ok=False)
    findings = check_rule(rule_id, parsed)
    assert findings, f"{rule_id} did not fire ({syntax})"
    rule = RULES[rule_id]
    for finding in findings:
        assert finding.rule_id == rule_id
        assert finding.severity == rule.severity.value
        assert finding.message_de and finding.message_en
        assert "{" not in finding.message_de and "{" not in finding.message_en
        assert finding.location.startswith("/"), finding.location
        assert finding.terms == rule.terms
    # and the full validation reports it too (scope and profile logic let it run)
    report = validate(parsed)
    assert rule_id in report.rule_ids(), sorted(report.rule_ids())
    if rule.severity is Severity.ERROR:
        assert not report.valid


@pytest.mark.parametrize(("rule_id", "syntax"), PARAMS)
def test_rule_is_silent_on_the_satisfying_invoice(rule_id: str, syntax: str) -> None:
    parsed = _parsed(rule_id, syntax, ok=True)
    assert check_rule(rule_id, parsed) == []
    report = validate(parsed)
    assert report.valid, [f"{f.rule_id}: {f.message_en}" for f in report.errors]
    assert not report.warnings, [f"{f.rule_id}: {f.message_en}" for f in report.warnings]
