"""The rule registry: every rule is a small function named after its id, registered with its
severity, the business terms it concerns and a German and English message template.

A rule function takes the validation context (:class:`~.context.Ctx`) and yields
:class:`Hit` objects, one per violation (usually none). ``Hit.params`` fill the ``{...}``
placeholders of the message templates; the engine turns hits into findings.

Severities follow the official KoSIT validator configuration for XRechnung: the CEN rules
(EN 16931 schematron, ``flag="fatal"``) and the fatal XRechnung rules are errors, rules the
schematron flags ``warning`` are warnings; our own additional checks (``DMS-*``) are
warnings or information and never change the verdict - except DMS-PROFILE, which fails
MINIMUM, BASIC WL and ZUGFeRD 1.0 documents (not e-invoices, not checked as invoices).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.einvoice.validation.context import Ctx


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Scope(enum.StrEnum):
    """Which documents a rule applies to."""

    #: every invoice checked as an EN 16931 invoice (XRechnung, EN16931, BASIC, EXTENDED, ...)
    EN16931 = "EN 16931"
    #: XRechnung documents only (CIUS and extension): the national rules BR-DE-*
    XRECHNUNG = "XRechnung"
    #: XRechnung extension documents only (BR-DEX-*)
    XRECHNUNG_EXTENSION = "XRechnung Extension"
    #: every document, whatever its profile (schema level, profile notes)
    ALL = "all"


class Family(enum.StrEnum):
    SCHEMA = "schema"  # XML Schema level: readable values, cardinalities, required elements
    CORE = "BR"  # EN 16931 core rules BR-01..BR-65
    CONDITIONS = "BR-CO"  # EN 16931 conditions BR-CO-*
    CODELISTS = "BR-CL"  # EN 16931 code lists BR-CL-*
    DECIMALS = "BR-DEC"  # EN 16931 decimals BR-DEC-*
    VAT = "VAT"  # EN 16931 VAT category rules BR-S/Z/E/AE/IC/G/O/AF/AG/B-*
    XRECHNUNG = "BR-DE"  # XRechnung national rules BR-DE-*
    EXTENSION = "BR-DEX"  # XRechnung extension rules
    DMS = "DMS"  # our own checks for the finance clerk (never errors)


@dataclass(frozen=True, slots=True)
class Hit:
    """One violation found by a rule: where, and the values for the message."""

    location: str
    params: dict[str, Any] = field(default_factory=dict)


#: What a rule returns: its hits (a generator, a list) or None when nothing is wrong. Rules
#: that run on every invoice return a list or None: cheaper than a generator.
Hits = Iterable[Hit] | None
Check = Callable[["Ctx"], Hits]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    family: Family
    terms: tuple[str, ...]
    de: str
    en: str
    check: Check = field(repr=False)
    scope: Scope = Scope.EN16931
    #: ``"ubl"`` / ``"cii"``: the rule exists for one syntax only (e.g. UBL-SR-*)
    syntax: str | None = None
    #: VAT category code: the rule only runs when the document uses that category
    category: str | None = None
    #: how sure we are that id, severity and formula match the official artefacts
    note: str | None = None
    #: features the invoice must have for the rule to have anything to check (e.g.
    #: "allowances"); the engine skips the rule otherwise (see ``Ctx.features``)
    needs: frozenset[str] = frozenset()

    def run(self, ctx: Ctx) -> Iterator[Hit]:
        hits = self.check(ctx)
        if hits:
            yield from hits


#: Features of an invoice that rules may depend on (computed by ``Ctx.features``).
FEATURES = frozenset(
    {
        "allowances",  # BG-20
        "charges",  # BG-21 (EXTENDED: also logistics service charges)
        "line_allowances",  # BG-27
        "line_charges",  # BG-28
        "payee",  # BG-10
        "tax_representative",  # BG-11
        "delivery",  # BG-13
        "attachments",  # BG-24
        "preceding",  # BG-3
        "payment",  # BG-16
        "card",  # BG-18
        "direct_debit",  # BG-19
        "period",  # BG-14
        "line_periods",  # BG-26
        "item_attributes",  # BG-32
        "sub_lines",  # BG-DEX-01 / CII ParentLineID
        "tax_currency",  # BT-6
        "tax_point",  # BT-7 or BT-8
        "object_ids",  # BT-18 or BT-128
        "item_ids",  # BT-157, BT-158, BT-159 on any line
        "notes",  # BG-1
        "parse_issues",
        "source_warnings",
    }
)

#: All rules by id, in registration order (which is the order findings are reported in).
RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity | str,
    terms: str | Iterable[str],
    de: str,
    en: str,
    *,
    family: Family,
    scope: Scope = Scope.EN16931,
    syntax: str | None = None,
    category: str | None = None,
    note: str | None = None,
    needs: str = "",
) -> Callable[[Check], Check]:
    """Register the decorated function as rule ``rule_id``.

    ``terms`` is a space-separated string or an iterable of BT/BG ids; ``needs`` the
    space-separated features (:data:`FEATURES`) without which the rule has nothing to check.
    """
    unknown = set(needs.split()) - FEATURES
    if unknown:
        raise ValueError(f"rule {rule_id}: unknown features {unknown}")
    term_tuple = tuple(terms.split()) if isinstance(terms, str) else tuple(terms)

    def register(fn: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        expected = rule_id.lower().replace("-", "_")
        if fn.__name__ != expected:
            raise ValueError(f"rule {rule_id}: function must be named {expected}")
        RULES[rule_id] = Rule(
            id=rule_id,
            severity=Severity(severity),
            family=family,
            terms=term_tuple,
            de=de,
            en=en,
            check=fn,
            scope=scope,
            syntax=syntax,
            category=category,
            note=note,
            needs=frozenset(needs.split()),
        )
        fn.rule_id = rule_id  # type: ignore[attr-defined]
        return fn

    return register


def rule_table() -> list[dict[str, Any]]:
    """All rules for documentation (``dms invoice rules``): id, severity, family, scope,
    terms, German and English text, and a note where we are unsure."""
    return [
        {
            "id": r.id,
            "severity": r.severity.value,
            "family": r.family.value,
            "scope": r.scope.value,
            "syntax": r.syntax,
            "terms": list(r.terms),
            "de": r.de,
            "en": r.en,
            "note": r.note,
        }
        for r in RULES.values()
    ]
