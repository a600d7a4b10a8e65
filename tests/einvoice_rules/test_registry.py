"""The rule registry: ids, severities, texts, scopes - the documentation of every rule."""

from __future__ import annotations

import re
from collections import Counter

from ingest.einvoice.validation import RULES, Family, Scope, Severity, rule_table
from ingest.einvoice.validation.engine import _Params

TERM = re.compile(r"(BT|BG)-(\d+|DEX-\d+)(-\d)?")

#: the rules the XRechnung schematron flags as warnings ("soll"); all other BR-DE are fatal
XRECHNUNG_WARNINGS = {"BR-DE-17", "BR-DE-19", "BR-DE-20", "BR-DE-21", "BR-DE-26", "BR-DE-27",
                      "BR-DE-28"}  # fmt: skip


def test_rule_counts_by_family() -> None:
    counts = Counter(rule.family for rule in RULES.values())
    assert counts[Family.CORE] == 58
    assert counts[Family.CONDITIONS] == 20
    assert counts[Family.CODELISTS] == 23
    assert counts[Family.DECIMALS] == 21
    assert counts[Family.VAT] == 98
    assert counts[Family.XRECHNUNG] == 31
    assert counts[Family.EXTENSION] == 1


def test_every_rule_is_documented() -> None:
    table = rule_table()
    assert [row["id"] for row in table] == list(RULES)
    for row in table:
        assert row["de"] and row["en"], row["id"]
        assert row["de"] != row["en"] or row["id"] in ("DMS-PROFILE",), row["id"]
        assert row["severity"] in ("error", "warning", "info")
        for term in row["terms"]:
            assert TERM.fullmatch(term), (row["id"], term)
        # the templates format with any parameters
        _ = row["de"].format_map(_Params()), row["en"].format_map(_Params())


def test_functions_are_named_after_their_rule() -> None:
    for rule_id, rule in RULES.items():
        assert rule.check.__name__ == rule_id.lower().replace("-", "_")


def test_severities_follow_the_official_configuration() -> None:
    for rule_id, rule in RULES.items():
        if rule.family is Family.XRECHNUNG:
            expected = Severity.WARNING if rule_id in XRECHNUNG_WARNINGS else Severity.ERROR
            assert rule.severity is expected, rule_id
            assert rule.scope is Scope.XRECHNUNG, rule_id
        elif rule.family in (Family.CORE, Family.CONDITIONS, Family.CODELISTS, Family.DECIMALS,
                             Family.VAT):  # fmt: skip
            expected = Severity.WARNING if rule_id == "BR-51" else Severity.ERROR
            assert rule.severity is expected, rule_id
            assert rule.scope is Scope.EN16931, rule_id
        elif rule.family is Family.DMS:
            # our own checks never change the verdict - except that MINIMUM & co. fail
            assert rule.severity is not Severity.ERROR or rule_id == "DMS-PROFILE", rule_id


def test_vat_category_rules_are_complete() -> None:
    for prefix in ("BR-S", "BR-Z", "BR-E", "BR-AE", "BR-IC", "BR-G", "BR-O", "BR-AF", "BR-AG"):
        for number in range(1, 11):
            assert f"{prefix}-{number:02d}" in RULES
    assert {"BR-IC-11", "BR-IC-12", "BR-O-11", "BR-O-12", "BR-O-13", "BR-O-14", "BR-B-01",
            "BR-B-02"} <= set(RULES)  # fmt: skip
