"""EN 16931-1 BR-DEC-*: amounts have at most two decimals.

The schematron counts the characters after the decimal point as written
(``string-length(substring-after(., '.')) <= 2``), so ``1.000`` is an error even though its
value has two decimals; :func:`places` counts the same.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.einvoice.model import Amount
from ingest.einvoice.validation.context import Ctx
from ingest.einvoice.validation.registry import Family, Hit, Hits, Severity, rule

DE = "Die zulässige Anzahl der Dezimalstellen für {name} ({term}) ist 2; angegeben ist ‚{value}‘."
EN = "The allowed maximum number of decimals for the {name} ({term}) is 2; given: '{value}'."

#: where the amounts of one term are: (model object, field name) pairs
_Sources = Callable[[Ctx], list[tuple[object, str]]]


def places(text: str) -> int:
    """Characters after the decimal point, as the schematron counts them."""
    point = text.find(".")
    return 0 if point < 0 else len(text) - point - 1


def _totals(field: str) -> _Sources:
    def sources(ctx: Ctx) -> list[tuple[object, str]]:
        totals = ctx.inv.totals
        return [(totals, field)] if totals is not None else []

    return sources


def _document_ac(charges: bool, field: str) -> _Sources:
    def sources(ctx: Ctx) -> list[tuple[object, str]]:
        return [(ac, field) for ac in (ctx.inv.charges if charges else ctx.inv.allowances)]

    return sources


def _line_ac(charges: bool, field: str) -> _Sources:
    def sources(ctx: Ctx) -> list[tuple[object, str]]:
        return [
            (ac, field)
            for line in ctx.checked_lines
            for ac in (line.charges if charges else line.allowances)
        ]

    return sources


def _breakdown(field: str) -> _Sources:
    def sources(ctx: Ctx) -> list[tuple[object, str]]:
        return [(vat, field) for vat in ctx.inv.vat_breakdown]

    return sources


def _line_net(ctx: Ctx) -> list[tuple[object, str]]:
    return [(line, "net_amount") for line in ctx.checked_lines]


_NEEDS = {
    "BR-DEC-01": "allowances",
    "BR-DEC-02": "allowances",
    "BR-DEC-05": "charges",
    "BR-DEC-06": "charges",
    "BR-DEC-24": "line_allowances",
    "BR-DEC-25": "line_allowances",
    "BR-DEC-27": "line_charges",
    "BR-DEC-28": "line_charges",
}


def _define(rule_id: str, term: str, name_de: str, name_en: str, sources: _Sources) -> None:
    """Define and register the rule function ``br_dec_NN`` for one amount term."""

    def check(ctx: Ctx) -> Hits:
        hits = None
        for group, field in sources(ctx):
            amount: Amount | None = getattr(group, field)
            if amount is not None and places(amount.text) > 2:
                if hits is None:
                    hits = []
                hits.append(Hit(ctx.loc(group, field), {"value": amount.text}))
        return hits

    check.__name__ = check.__qualname__ = rule_id.lower().replace("-", "_")
    de = DE.replace("{name}", name_de).replace("{term}", term)
    en = EN.replace("{name}", name_en).replace("{term}", term)
    globals()[check.__name__] = rule(
        rule_id, Severity.ERROR, term, de, en, family=Family.DECIMALS, needs=_NEEDS.get(rule_id, "")
    )(check)


# rule id, term, German name, English name, where the amounts are
for _args in (
    ("BR-DEC-01", "BT-92", "den Betrag des Nachlasses", "Document level allowance amount",
     _document_ac(False, "amount")),
    ("BR-DEC-02", "BT-93", "den Grundbetrag des Nachlasses", "Document level allowance base"
     " amount", _document_ac(False, "base_amount")),
    ("BR-DEC-05", "BT-99", "den Betrag des Zuschlags", "Document level charge amount",
     _document_ac(True, "amount")),
    ("BR-DEC-06", "BT-100", "den Grundbetrag des Zuschlags", "Document level charge base"
     " amount", _document_ac(True, "base_amount")),
    ("BR-DEC-09", "BT-106", "die Summe der Positionsnettobeträge", "Sum of Invoice line net"
     " amount", _totals("line_net_total")),
    ("BR-DEC-10", "BT-107", "die Summe der Nachlässe", "Sum of allowances on document level",
     _totals("allowance_total")),
    ("BR-DEC-11", "BT-108", "die Summe der Zuschläge", "Sum of charges on document level",
     _totals("charge_total")),
    ("BR-DEC-12", "BT-109", "den Gesamtbetrag ohne Umsatzsteuer", "Invoice total amount"
     " without VAT", _totals("total_without_vat")),
    ("BR-DEC-13", "BT-110", "den Umsatzsteuer-Gesamtbetrag", "Invoice total VAT amount",
     _totals("vat_total")),
    ("BR-DEC-14", "BT-112", "den Gesamtbetrag einschließlich Umsatzsteuer", "Invoice total"
     " amount with VAT", _totals("total_with_vat")),
    ("BR-DEC-15", "BT-111", "den Umsatzsteuer-Gesamtbetrag in Buchungswährung", "Invoice total"
     " VAT amount in accounting currency", _totals("vat_total_accounting_currency")),
    ("BR-DEC-16", "BT-113", "den gezahlten Betrag", "Paid amount", _totals("paid_amount")),
    ("BR-DEC-17", "BT-114", "den Rundungsbetrag", "Rounding amount", _totals("rounding_amount")),
    ("BR-DEC-18", "BT-115", "den fälligen Zahlungsbetrag", "Amount due for payment",
     _totals("amount_due")),
    ("BR-DEC-19", "BT-116", "den Steuerbasisbetrag", "VAT category taxable amount",
     _breakdown("taxable_amount")),
    ("BR-DEC-20", "BT-117", "den Steuerbetrag der Kategorie", "VAT category tax amount",
     _breakdown("tax_amount")),
    ("BR-DEC-23", "BT-131", "den Nettobetrag der Rechnungsposition", "Invoice line net amount",
     _line_net),
    ("BR-DEC-24", "BT-136", "den Betrag des Positionsnachlasses", "Invoice line allowance"
     " amount", _line_ac(False, "amount")),
    ("BR-DEC-25", "BT-137", "den Grundbetrag des Positionsnachlasses", "Invoice line allowance"
     " base amount", _line_ac(False, "base_amount")),
    ("BR-DEC-27", "BT-141", "den Betrag des Positionszuschlags", "Invoice line charge amount",
     _line_ac(True, "amount")),
    ("BR-DEC-28", "BT-142", "den Grundbetrag des Positionszuschlags", "Invoice line charge base"
     " amount", _line_ac(True, "base_amount")),
):  # fmt: skip
    _define(*_args)
