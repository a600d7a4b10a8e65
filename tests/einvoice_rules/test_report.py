"""The report: JSON form, bilingual messages, and locations that point into the document."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from ingest.einvoice import parse_invoice
from ingest.einvoice.locations import namespaces
from ingest.einvoice.validation import check_rule, validate, validate_file
from tests.einvoice.builders import build
from tests.einvoice_rules.cases import CASES


def test_report_json() -> None:
    report = validate(parse_invoice(build({"totals": {"amount_due": "1.00"}})))
    data = json.loads(json.dumps(report.to_jsonable()))
    assert data["valid"] is False
    assert data["errors"] == 1
    finding = next(f for f in data["findings"] if f["rule"] == "BR-CO-16")
    assert finding["severity"] == "error"
    assert "fällige Zahlungsbetrag" in finding["message_de"]
    assert "Amount due for payment" in finding["message_en"]
    assert "1.00" in finding["message_en"] and "53.55" in finding["message_en"]
    assert finding["terms"] == ["BT-115", "BT-112", "BT-113", "BT-114"]
    assert finding["location"].endswith("ram:DuePayableAmount")


def test_validate_file_and_bilingual_message() -> None:
    report = validate_file(build({"buyer_reference": None}, syntax="ubl"))
    (finding,) = report.errors
    assert finding.rule_id == "BR-DE-15"
    assert finding.message == f"{finding.message_de} / {finding.message_en}"
    assert finding.location == "/ubl:Invoice/cbc:BuyerReference"


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_locations_are_xpaths_into_the_document(syntax: str) -> None:
    """Every finding's location is a valid XPath; where the term exists it finds it."""
    found_any = 0
    for rule_id, case in sorted(CASES.items()):
        if syntax not in case.syntaxes:
            continue
        parsed = parse_invoice(case.fail(syntax))
        root = parsed.root if parsed.root is not None else etree.fromstring(parsed.xml_bytes)
        for finding in check_rule(rule_id, parsed):
            result = root.xpath(finding.location, namespaces=namespaces(parsed.invoice.syntax))
            found_any += bool(result)
    assert found_any > 100


def test_cli_validate_many_files_and_exit_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from dms.cli.main import main
    from tests.einvoice.builders import build_cii, build_ubl

    good = tmp_path / "gut.xml"
    good.write_bytes(build_ubl())
    other = tmp_path / "gut-cii.xml"
    other.write_bytes(build_cii())
    broken = tmp_path / "kaputt.xml"
    broken.write_text("<Invoice>")
    env = {"DMS_HOME": str(tmp_path)}
    ok = CliRunner().invoke(main, ["invoice", "validate", str(good), str(other), "--json"],
                            env=env)
    assert ok.exit_code == 0, ok.output
    assert [r["valid"] for r in json.loads(ok.output)] == [True, True]
    bad = CliRunner().invoke(main, ["invoice", "validate", str(good), str(broken), "--json"],
                             env=env)
    assert bad.exit_code == 1
    assert [r["valid"] for r in json.loads(bad.output)] == [True, False]
