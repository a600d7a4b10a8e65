"""Validation never crashes: invoices with random elements removed or texts replaced get a
report (parse refusals are the parser's business and come with a reason)."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from dms.errors import DmsError
from ingest.einvoice import parse_invoice
from ingest.einvoice.validation import Report, validate
from tests.einvoice.builders import build
from tests.einvoice.conftest import corpus_files
from tests.einvoice_rules.cases import CASES

TEXTS = ["", " ", "abc", "-1", "1.2345", "0", "99999999999999999999.99", "2025-13-45", "ä€",
         "true", "1,5", "NaN"]  # fmt: skip


def _sources() -> list[bytes]:
    sources = [build({}, syntax=s) for s in ("cii", "ubl", "ubl-creditnote")]
    for rule_id in ("BR-17", "BR-41", "BR-IC-11", "BR-O-13", "BR-DE-25-a", "BR-DEX-02"):
        sources += [CASES[rule_id].ok_invoice(s) for s in ("cii", "ubl")]
    sources += [p.read_bytes() for p in corpus_files() if p.suffix == ".xml"][:12]
    return sources


def _mutate(xml: bytes, rng: random.Random) -> bytes:
    root = etree.fromstring(xml)
    elements = list(root.iter())[1:]
    for _ in range(rng.randint(1, 4)):
        element = rng.choice(elements)
        if rng.random() < 0.5 and element.getparent() is not None:
            element.getparent().remove(element)
            elements = list(root.iter())[1:]
        else:
            element.text = rng.choice(TEXTS)
        if rng.random() < 0.2:
            for attribute in list(element.attrib):
                element.set(attribute, rng.choice(TEXTS))
    return etree.tostring(root)


@pytest.mark.parametrize("seed", range(8))
def test_mutated_invoices_get_a_report(seed: int) -> None:
    rng = random.Random(seed)
    for source in _sources():
        for _ in range(12):
            xml = _mutate(source, rng)
            try:
                parsed = parse_invoice(xml)
            except DmsError:
                continue
            report = validate(parsed)
            assert isinstance(report, Report)
            report.to_jsonable()
