"""Readable view as PDF (Sichtansicht): is WeasyPrint fast enough for invoice intake?

    .venv/bin/python bench/einvoice_view_bench.py [--count 30]

Invoices of 1, 10 and 40 lines built with ``tests/einvoice/builders.py``. Measured per
invoice in the same run: parse + validate (the reference: what intake does anyway), the HTML
view, and the PDF view (``ingest.einvoice.pdf_view.render_pdf``, offline). The first PDF of the
process is reported apart (fonts and Pango set up once per process). Writes
bench/results/einvoice_view.json.

Target (issue): the view must not dominate intake: an e-invoice arrives every few seconds at
the busiest Kreiskasse, so a PDF in well under a second per invoice is enough.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from benchlib import ensure_repo_on_path, machine_info, percentile, table, write_result

ensure_repo_on_path()

from tests.einvoice.builders import build  # noqa: E402

from ingest.einvoice import parse_invoice  # noqa: E402
from ingest.einvoice.pdf_view import render_pdf  # noqa: E402
from ingest.einvoice.validation import validate  # noqa: E402
from ingest.einvoice.view import render_html  # noqa: E402


def _invoice(lines: int) -> bytes:
    return build({"lines": [{"id": str(i), "name": f"Artikel {i}", "quantity": "2",
                             "unit": "C62", "price": "12.50", "vat_category": "S",
                             "vat_rate": "19"} for i in range(1, lines + 1)]})


def _ms(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1000,
            "p95_ms": percentile(values, 95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30, help="invoices per size")
    args = parser.parse_args()
    first = time.perf_counter()
    parsed = parse_invoice(_invoice(1))
    render_pdf(parsed, validate(parsed))
    first_pdf = time.perf_counter() - first
    rows: list[list[Any]] = []
    results: dict[str, Any] = {"first_pdf_ms": first_pdf * 1000, "sizes": {}}
    for lines in (1, 10, 40):
        data = _invoice(lines)
        check, html, pdf = [], [], []
        for _ in range(args.count):
            t0 = time.perf_counter()
            parsed = parse_invoice(data)
            report = validate(parsed)
            t1 = time.perf_counter()
            render_html(parsed, report)
            t2 = time.perf_counter()
            render_pdf(parsed, report)
            t3 = time.perf_counter()
            check.append(t1 - t0)
            html.append(t2 - t1)
            pdf.append(t3 - t2)
        entry = {"parse_validate": _ms(check), "html": _ms(html), "pdf": _ms(pdf),
                 "pdf_per_s": 1 / statistics.median(pdf),
                 "pdf_vs_parse_validate": statistics.median(pdf) / statistics.median(check)}
        results["sizes"][str(lines)] = entry
        rows.append([f"{lines} lines", entry["parse_validate"]["median_ms"],
                     entry["html"]["median_ms"], entry["pdf"]["median_ms"],
                     entry["pdf"]["p95_ms"], entry["pdf_per_s"],
                     f"{entry['pdf_vs_parse_validate']:.0f}x"])
    print(table(["invoice", "parse+validate ms", "HTML ms", "PDF ms", "PDF p95 ms", "PDF/s",
                 "PDF vs check"], rows))
    print(f"first PDF in the process (fonts, Pango): {first_pdf * 1000:.0f} ms")
    path = write_result("einvoice_view", {"machine": machine_info(), "count": args.count,
                                          **results})
    print(f"-> {path}")


if __name__ == "__main__":
    main()
