"""The finance export connectors: what each format writes, read back; atomic, idempotent
files; and the export from the approval process and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from connectors.finance_export import Approval, BookingRecord, exporter_for
from connectors.finance_export.base import LEDGER
from connectors.finance_export.csv_export import COLUMNS
from connectors.finance_export.structured import NAMESPACE
from dms.errors import Conflict, InvalidInput
from tests.invoice_approval.conftest import Finance

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _record(booking: str = "RE-000042", **changes: object) -> BookingRecord:
    values: dict[str, object] = dict(
        booking_id=booking, invoice_id=42, invoice_number="2026-1187",
        invoice_date=date(2026, 11, 3), supplier_name="Schreiber GmbH; Bürobedarf",
        supplier_vat_id="DE123456789", iban="DE02120300000000202051", bic="BYLADEM1001",
        currency="EUR", net_cents=105_000, vat_cents=19_950, gross_cents=124_950,
        due_cents=124_950, due_date=date(2026, 12, 3), discount_until=date(2026, 11, 13),
        discount_cents=2_499, cost_centres=("KST-100", "KST-200"), accounts=("52110",),
        leitweg_id="08111-21-00", order_reference="B-77",
        approvals=(Approval("factual", "schmidt", AT), Approval("arithmetic", "schmidt", AT),
                   Approval("payment_order", "koch", AT)),
    )
    values.update(changes)
    return BookingRecord(**values)  # type: ignore[arg-type]


def test_csv_is_what_german_finance_imports_expect(tmp_path: Path) -> None:
    result = exporter_for("csv", tmp_path).export([_record()])
    data = result.written[0].read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Lieferant"] == "Schreiber GmbH; Bürobedarf"  # quoted, not split
    assert (row["Netto"], row["USt"], row["Brutto"], row["Skontobetrag"]) == \
        ("1050,00", "199,50", "1249,50", "24,99")
    assert row["Fällig am"] == "03.12.2026" and row["Skonto bis"] == "13.11.2026"
    assert row["Kostenstellen"] == "KST-100|KST-200" and row["IBAN"].startswith("DE02")
    assert (row["Sachlich richtig"], row["Angeordnet"], row["Angeordnet am"]) == \
        ("schmidt", "koch", "20.11.2026 09:30")


def test_json_and_xml_carry_the_same_schema(tmp_path: Path) -> None:
    as_json = exporter_for("json", tmp_path / "j").export([_record()])
    document = json.loads(as_json.written[0].read_text(encoding="utf-8"))
    assert document["schema"] == NAMESPACE
    booking = document["bookings"][0]
    assert booking["amounts"] == {"net": "1050.00", "vat": "199.50", "gross": "1249.50",
                                  "due": "1249.50", "discount": "24.99"}
    assert booking["supplier"]["vatId"] == "DE123456789" and booking["leitwegId"] == "08111-21-00"
    assert [a["by"] for a in booking["approvals"]] == ["schmidt", "schmidt", "koch"]

    as_xml = exporter_for("xml", tmp_path / "x").export([_record(bic=None)])
    root = etree.fromstring(as_xml.written[0].read_bytes())
    ns = {"b": NAMESPACE}
    assert root.tag == f"{{{NAMESPACE}}}bookings"
    node = root.find("b:booking", ns)
    assert node is not None and node.get("bookingId") == "RE-000042"
    assert node.findtext("b:amounts/b:gross", namespaces=ns) == booking["amounts"]["gross"]
    assert node.findtext("b:dueDate", namespaces=ns) == booking["dueDate"]
    assert [c.text for c in node.findall("b:costCentres/b:costCentre", ns)] == \
        booking["costCentres"]
    assert node.find("b:supplier/b:bic", ns) is None  # unknown: absent, not empty
    assert [a.get("step") for a in node.findall("b:approvals/b:approval", ns)] == \
        ["factual", "arithmetic", "payment_order"]


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_export_is_idempotent_even_after_the_files_were_taken(tmp_path: Path, fmt: str) -> None:
    exporter = exporter_for(fmt, tmp_path)
    first = exporter.export([_record("RE-000001"), _record("RE-000002")])
    assert first.exported_ids == ("RE-000001", "RE-000002")
    for path in first.written:  # the finance system picks the files up
        path.unlink()
    again = exporter.export([_record("RE-000001"), _record("RE-000002"), _record("RE-000003")])
    assert again.exported_ids == ("RE-000003",) and again.skipped_ids == ("RE-000001",
                                                                          "RE-000002")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == \
        [f"RE-000003.{fmt}"]
    changed = exporter.export([_record("RE-000003", due_cents=100_000)])
    assert changed.exported_ids == ("RE-000003",)  # a corrected booking replaces its file
    ledger = json.loads((tmp_path / LEDGER).read_text())["bookings"]
    assert sorted(ledger) == [f"RE-00000{i}.{fmt}" for i in (1, 2, 3)]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Exportformat"):
        exporter_for("pdf", tmp_path)


def _ordered(finance: Finance) -> int:
    invoice_id = finance.invoice(facts={"lines": [{"BT-133": "KST-100"}]})
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    finance.sign("koch", invoice_id, "Task_PaymentOrder")
    return invoice_id


def test_cli_exports_ordered_invoices_once_and_marks_paid(finance: Finance,
                                                         tmp_path: Path) -> None:
    from dms.cli.main import main

    invoice_id = _ordered(finance)
    finance.work()
    settings = finance.app.settings
    env = {"DMS_HOME": str(settings.home), "DMS_DATABASE_URL": settings.effective_database_url,
           "DMS_STORAGE_URL": settings.effective_storage_url,
           "DMS_CONFIG_DIR": str(settings.config_dir)}
    runner = CliRunner()
    out = tmp_path / "xml"
    result = runner.invoke(main, ["--user", "schmidt", "invoice", "export", "--format", "xml",
                                  "--out", str(out), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["exported"] == [f"RE-{invoice_id:06d}"]
    node = etree.parse(str(out / f"RE-{invoice_id:06d}.xml")).getroot()
    assert node.findtext(f"{{{NAMESPACE}}}booking/{{{NAMESPACE}}}costCentres/"
                         f"{{{NAMESPACE}}}costCentre") == "KST-100"
    again = runner.invoke(main, ["--user", "schmidt", "invoice", "export", "--format", "xml",
                                 "--out", str(out), "--json"], env=env)
    assert json.loads(again.output)["skipped"] == [f"RE-{invoice_id:06d}"]
    refused = runner.invoke(main, ["--user", "mueller", "invoice", "export"], env=env)
    assert refused.exit_code == 4
    paid = runner.invoke(main, ["invoice", "paid", str(invoice_id), "--json"], env=env)
    assert paid.exit_code == 0, paid.output
    assert json.loads(paid.output)["status"] == "paid"
    assert finance.record(invoice_id).status == "paid"
    twice = runner.invoke(main, ["invoice", "paid", "999999"], env=env)
    assert twice.exit_code == 3


def test_paid_before_export_is_refused(finance: Finance) -> None:
    from tests.support.actors import as_user
    from workflows.invoice_approval import mark_paid

    invoice_id = finance.invoice()
    finance.work()
    with as_user(finance.app, "schmidt") as ctx, pytest.raises(Conflict, match="Zahlung"):
        mark_paid(ctx, invoice_id)


def test_payee_is_read_from_the_filed_original_for_the_booking(finance: Finance) -> None:
    from tests.einvoice.builders import build

    invoice_id = finance.invoice(original=build(), gross_cents=5_355)
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    finance.sign("koch", invoice_id, "Task_PaymentOrder")
    finance.work()
    target = finance.app.settings.home / "finance-export" / f"RE-{invoice_id:06d}.csv"
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig")),
                           delimiter=";"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["USt-IdNr"], row["IBAN"], row["BIC"]) == \
        ("DE123456789", "DE02120300000000202051", "BYLADEM1001")
    assert row["USt"] == "8,55"  # BT-110 of the original, not gross minus net
    assert oct(target.stat().st_mode & 0o777) == "0o644"  # the finance system can read it
