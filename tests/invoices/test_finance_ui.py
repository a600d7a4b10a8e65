"""The finance screen (Rechnungseingang): list with filters, totals and the duplicate marker,
upload, detail with the readable view beside the original, the MINIMUM/BASIC WL note, and
approve / reject through forms; the mailroom does not get in."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dms.services.context import App
from tests.einvoice.builders import build, build_zugferd_pdf
from tests.invoices.conftest import LEITWEG_63, import_invoice
from tests.support.deputies import end_vertretung
from tests.web.conftest import login
from workflows import jobs

CURRENT = {"issue_date": date.today().isoformat(),
           "due_date": (date.today() + timedelta(days=30)).isoformat()}


def _upload(web: TestClient, token: str, data: bytes, name: str = "rechnung.xml",
            **form: str):  # type: ignore[no-untyped-def]
    return web.post("/finanzen/upload", data={"csrf_token": token, **form},
                    files={"file": (name, data, "application/octet-stream")},
                    follow_redirects=False)


@pytest.mark.slow  # several e-invoices, each with its PDF view (~0.5 s)
def test_upload_list_and_duplicate_marker(web: TestClient, finance: App) -> None:
    token = login(web, "schmidt")
    assert 'href="/finanzen"' in web.get("/").text  # the navigation leads there
    first = _upload(web, token, build({"buyer_reference": LEITWEG_63}))
    assert first.status_code == 303 and first.headers["location"].endswith("notice=imported")
    second = _upload(web, token, build({"buyer_reference": LEITWEG_63}))
    assert second.headers["location"].endswith("notice=duplicate")
    detail = web.get(second.headers["location"])
    assert detail.status_code == 200
    assert "Mögliche Doppelrechnung" in detail.text and "Zur ersten Rechnung" in detail.text

    page = web.get("/finanzen")
    assert page.status_code == 200
    assert page.text.count('data-invoice="') == 2
    assert page.text.count("Doppelrechnung?") == 1
    assert "107,10 €" in page.text  # totals: 2 x 53,55 €
    filtered = web.get("/finanzen", params={"office": "50"})
    assert 'data-invoice="' not in filtered.text and "Keine Rechnungen" in filtered.text
    only_dups = web.get("/finanzen", params={"duplicates": "1"})
    assert only_dups.text.count('data-invoice="') == 1

    refused = _upload(web, token, b"<brief/>", name="brief.xml")
    assert refused.status_code == 303 and "error=" in refused.headers["location"]
    assert "keine E-Rechnung" in web.get(refused.headers["location"]).text


def test_detail_shows_view_beside_original_and_findings(web: TestClient, finance: App,
                                                        tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, data=build_zugferd_pdf(), name="zf.pdf")
    login(web, "schmidt")
    page = web.get(f"/finanzen/rechnungen/{invoice_id}")
    assert page.status_code == 200
    assert f'src="/finanzen/rechnungen/{invoice_id}/ansicht"' in page.text
    assert "PDF anzeigen" in page.text and "Sichtansicht (PDF)" in page.text
    assert "Prüfergebnis" in page.text and "Verlauf" in page.text
    assert "Rechnung registriert" in page.text  # the audit trail, in German
    view = web.get(f"/finanzen/rechnungen/{invoice_id}/ansicht")
    assert view.status_code == 200 and "RE-2025-0001" in view.text
    assert "default-src 'none'" in view.headers["content-security-policy"]
    assert "<script" not in view.text


def test_minimum_profile_is_flagged_on_the_screen(web: TestClient, finance: App,
                                                  tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path,
                                {"specification_id": "urn:factur-x.eu:1p0:minimum"})
    login(web, "schmidt")
    page = web.get(f"/finanzen/rechnungen/{invoice_id}")
    assert "Keine E-Rechnung im Sinne des Umsatzsteuergesetzes" in page.text
    assert "keine E-Rechnung" in web.get("/finanzen").text


def test_approve_and_reject_by_form(web: TestClient, finance: App, tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, CURRENT)
    jobs.run_due(finance)
    token = login(web, "schmidt")
    url = f"/finanzen/rechnungen/{invoice_id}"
    assert "Freigeben" in web.get(url).text
    done = web.post(f"{url}/freigeben", data={"csrf_token": token, "remark": "passt"},
                    follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("notice=approved")
    page = web.get(done.headers["location"])
    assert "Prüfschritt bestätigt" in page.text and "rechnerisch richtig (offen)" in page.text
    missing = web.post(f"{url}/zurueckweisen", data={"csrf_token": token, "remark": ""})
    assert missing.status_code == 422 and "begründen" in missing.text
    stale = web.post(f"{url}/zurueckweisen", data={"csrf_token": "falsch", "remark": "x"})
    assert stale.status_code == 403
    rejected = web.post(f"{url}/zurueckweisen", data={"csrf_token": token,
                                                     "remark": "Summe falsch"},
                        follow_redirects=False)
    assert rejected.headers["location"].endswith("notice=rejected")


def test_who_sees_the_finance_screen(web: TestClient, finance: App, tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, {"buyer_reference": LEITWEG_63})
    login(web, "post")
    assert 'href="/finanzen"' not in web.get("/").text
    assert web.get("/finanzen").status_code == 403
    assert web.get(f"/finanzen/rechnungen/{invoice_id}").status_code == 403
    end_vertretung(finance)  # weber's demo Vertretung for mueller (office 63) is over
    login(web, "weber")  # a clerk of another office: the list is empty, the invoice unknown
    assert 'data-invoice="' not in web.get("/finanzen").text
    assert web.get(f"/finanzen/rechnungen/{invoice_id}").status_code == 404
    login(web, "mueller")  # the clerk of the ordering office sees it
    listing = web.get("/finanzen").text
    assert re.search(rf'data-invoice="{invoice_id}"', listing)
    assert web.get(f"/finanzen/rechnungen/{invoice_id}").status_code == 200
