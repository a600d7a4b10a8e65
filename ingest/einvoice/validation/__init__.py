"""Validation of e-invoices: the EN 16931 business rules, the XRechnung national rules, schema
level checks and our own arithmetic checks, with the severities of the official XRechnung
validator (KoSIT validator with the XRechnung configuration).

Entry points:

* :func:`validate` - a :class:`~ingest.einvoice.ParsedInvoice` into a :class:`Report`
  (``valid``, ``findings``: rule id, severity, German and English message, location, terms);
* :func:`validate_file` - read a file (XML or ZUGFeRD PDF) and validate it;
* :func:`check_rule` - run one rule alone (tests, documentation);
* :func:`rule_table` - every rule with id, severity, family, scope and texts
  (``dms invoice rules``).

Layout: ``registry`` (the rule decorator and :data:`RULES`), ``context`` (what rules see and
the schematron's arithmetic), ``calc`` (our own invoice calculator), ``engine`` (profile logic,
verdict), ``rules/`` (one module per rule family).
"""

from __future__ import annotations

from pathlib import Path

from ingest.einvoice import ZUGFERD1_MAPPED, ParsedInvoice, parse_invoice, read_invoice_xml
from ingest.einvoice.profiles import UNKNOWN_SPECIFICATION
from ingest.einvoice.validation import rules as _rules  # noqa: F401 - registers the rules
from ingest.einvoice.validation.context import Ctx
from ingest.einvoice.validation.engine import Finding, Report, run, validate_invoice
from ingest.einvoice.validation.registry import RULES, Family, Rule, Scope, Severity, rule_table

__all__ = [
    "RULES",
    "Family",
    "Finding",
    "Report",
    "Rule",
    "Scope",
    "Severity",
    "check_rule",
    "context_for",
    "rule_table",
    "validate",
    "validate_file",
    "validate_invoice",
]


#: reader warnings that other findings already cover (profile notes)
_COVERED_WARNINGS = (UNKNOWN_SPECIFICATION.split("‚")[0], ZUGFERD1_MAPPED)


def source_warnings(parsed: ParsedInvoice) -> tuple[str, ...]:
    """The reader's warnings about the file (several invoice XMLs in a PDF, a missing
    /AFRelationship, ...), without the profile notes that DMS-PROFILE reports."""
    return tuple(
        w
        for w in parsed.warnings
        if w != parsed.einvoice_note and not w.startswith(_COVERED_WARNINGS)
    )


def context_for(parsed: ParsedInvoice) -> Ctx:
    """The validation context of a parsed invoice (parses the XML again if the tree was
    not kept)."""
    root = parsed.root
    invoice = parsed.invoice
    if root is None:
        root, invoice = read_invoice_xml(parsed.xml_bytes)
    return Ctx(
        invoice,
        root,
        is_einvoice=parsed.is_einvoice_under_german_vat_law,
        source_warnings=source_warnings(parsed),
    )


def validate(parsed: ParsedInvoice) -> Report:
    """The verdict and findings for a parsed invoice."""
    root = parsed.root
    invoice = parsed.invoice
    if root is None:
        root, invoice = read_invoice_xml(parsed.xml_bytes)
    return validate_invoice(
        invoice, root, note=parsed.einvoice_note, source_warnings=source_warnings(parsed)
    )


def validate_file(source: str | Path | bytes) -> Report:
    """Parse (:func:`ingest.einvoice.parse_invoice`) and validate; refusals raise as there."""
    return validate(parse_invoice(source))


def check_rule(rule_id: str, parsed: ParsedInvoice) -> list[Finding]:
    """The findings of one rule on an invoice, whatever its scope (to test rules alone)."""
    return run(context_for(parsed), [RULES[rule_id]])
