"""Run the rules over an invoice: the verdict and the findings.

Which rules apply depends on the profile (BT-24):

* XRechnung 3.x (CIUS or extension) and older XRechnung: schema level, EN 16931 rules and the
  national rules BR-DE-* (the extension also BR-DEX-*);
* EN 16931 and its other CIUS/extensions (Peppol, ZUGFeRD/Factur-X EN16931, BASIC,
  EXTENDED, unknown identifiers): schema level and EN 16931 rules;
* MINIMUM, BASIC WL, ZUGFeRD 1.0: not checked as invoices; schema level and DMS-PROFILE,
  which fails the formal check with the note for the finance clerk.

The verdict (``valid``) is "no finding of severity error", as in the official validator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from ingest.einvoice.model import Invoice
from ingest.einvoice.validation.context import Ctx
from ingest.einvoice.validation.registry import RULES, Family, Hit, Rule, Scope, Severity
from ingest.einvoice.validation.rules import schema as _schema

#: Code lists that ZUGFeRD/Factur-X EXTENDED widens (reason codes from both UNTDID 5189 and
#: 7161, older EAS codes such as 9958): reported as warnings for EXTENDED documents.
RELAXED_FOR_EXTENDED = frozenset({"BR-CL-19", "BR-CL-20", "BR-CL-25"})

FAMILY_ORDER = (
    Family.SCHEMA,
    Family.CORE,
    Family.CONDITIONS,
    Family.CODELISTS,
    Family.DECIMALS,
    Family.VAT,
    Family.XRECHNUNG,
    Family.EXTENSION,
    Family.DMS,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One violated rule at one place in the document."""

    rule_id: str
    severity: str  # "error", "warning", "info"
    message_de: str
    message_en: str
    location: str  # XPath in the invoice XML
    terms: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"{self.message_de} / {self.message_en}"

    def to_jsonable(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "message_de": self.message_de,
            "message_en": self.message_en,
            "location": self.location,
            "terms": list(self.terms),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one invoice and what was found."""

    valid: bool
    findings: list[Finding] = field(default_factory=list)
    profile: str = ""
    #: the rule sets that were applied, e.g. ("schema", "EN 16931", "XRechnung")
    checked: tuple[str, ...] = ()
    #: the note for the finance clerk when the profile is not an e-invoice
    note: str | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    def rule_ids(self, severity: str | None = None) -> set[str]:
        return {f.rule_id for f in self.findings if severity is None or f.severity == severity}

    def to_jsonable(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "profile": self.profile,
            "checked": list(self.checked),
            "note": self.note,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_jsonable() for f in self.findings],
        }


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def finding(rule: Rule, hit: Hit) -> Finding:
    params = _Params({k: ("-" if v is None else v) for k, v in hit.params.items()})
    return Finding(
        rule_id=rule.id,
        severity=rule.severity.value,
        message_de=rule.de.format_map(params),
        message_en=rule.en.format_map(params),
        location=hit.location,
        terms=rule.terms,
    )


_PLANS: dict[tuple[frozenset[Scope], str, int], tuple[list[Rule], dict[str, list[Rule]]]] = {}


def _plan(scopes: frozenset[Scope], syntax: str) -> tuple[list[Rule], dict[str, list[Rule]]]:
    """The rules to run for a set of scopes and a syntax: those always run, and those run
    only when a VAT category occurs (by category). Cached per registry size."""
    key = (scopes, syntax, len(RULES))
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    order = {family: i for i, family in enumerate(FAMILY_ORDER)}
    always: list[Rule] = []
    by_category: dict[str, list[Rule]] = defaultdict(list)
    for rule in sorted(RULES.values(), key=lambda r: order.get(r.family, 99)):
        if rule.scope not in scopes or (rule.syntax is not None and rule.syntax != syntax):
            continue
        if rule.category is None:
            always.append(rule)
        else:
            by_category[rule.category].append(rule)
    plan = (always, dict(by_category))
    _PLANS[key] = plan
    return plan


_SELECTIONS: dict[tuple, list[Rule]] = {}


def _select(ctx: Ctx) -> list[Rule]:
    """The rules that apply to this invoice: by scope (profile), syntax, the VAT categories it
    uses and the features it has. Cached: most invoices share a handful of combinations."""
    scopes = scopes_for(ctx)
    syntax = "ubl" if ctx.ubl else "cii"
    categories = ctx.all_categories
    features = ctx.features
    key = (scopes, syntax, categories, features, len(RULES))
    selected = _SELECTIONS.get(key)
    if selected is None:
        always, by_category = _plan(scopes, syntax)
        candidates = list(always)
        for category in sorted(categories):
            candidates.extend(by_category.get(category, ()))
        selected = [rule for rule in candidates if rule.needs <= features]
        if len(_SELECTIONS) > 4096:
            _SELECTIONS.clear()
        _SELECTIONS[key] = selected
    return selected


def scopes_for(ctx: Ctx) -> frozenset[Scope]:
    if ctx.profile in _schema.NOT_CHECKED_PROFILES:
        return frozenset({Scope.ALL})
    scopes = {Scope.ALL, Scope.EN16931}
    if ctx.xrechnung:
        scopes.add(Scope.XRECHNUNG)
    if ctx.extension:
        scopes.add(Scope.XRECHNUNG_EXTENSION)
    return frozenset(scopes)


def run(ctx: Ctx, rules: list[Rule] | None = None) -> list[Finding]:
    """Findings of ``rules`` (default: those that apply to the invoice) on ``ctx``."""
    selected = rules if rules is not None else _select(ctx)
    findings: list[Finding] = []
    for rule in selected:
        hits = rule.check(ctx)
        if hits is not None:
            for hit in hits:
                found = finding(rule, hit)
                if ctx.extended and rule.id in RELAXED_FOR_EXTENDED:
                    found = replace(found, severity=Severity.WARNING.value)
                findings.append(found)
    return findings


def validate_invoice(
    invoice: Invoice,
    root: etree._Element | None = None,
    *,
    note: str | None = None,
    source_warnings: tuple[str, ...] = (),
) -> Report:
    """Validate a parsed invoice model (``root``: its XML tree, for the schema-level checks;
    ``source_warnings``: what the reader noticed about the file, reported as DMS-SOURCE)."""
    ctx = Ctx(invoice, root, source_warnings=source_warnings)
    scopes = scopes_for(ctx)
    findings = run(ctx)
    checked = _checked_names(scopes)
    return Report(
        valid=not any(f.severity == Severity.ERROR for f in findings),
        findings=findings,
        profile=invoice.profile.value,
        checked=checked,
        note=note,
    )


def _checked_names(scopes: frozenset[Scope]) -> tuple[str, ...]:
    names = ["schema"]
    for scope in (Scope.EN16931, Scope.XRECHNUNG, Scope.XRECHNUNG_EXTENSION):
        if scope in scopes:
            names.append(scope.value)
    return tuple(names)
