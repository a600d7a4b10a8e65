"""The booking record (Buchungssatz) and the exporter interface every format implements.

A booking record is what a finance system needs to pay an approved invoice and book it:
supplier and bank account, amounts, dates, cost centres and accounts, the Leitweg-ID, and who
confirmed it factually and arithmetically and who ordered the payment (with when). Amounts are
whole cents, so every format writes exact decimals.

Idempotence: each booking is written to a file named by its booking id, atomically (a
temporary file in the same directory, fsync, rename), and listed in the directory's ledger
(``.exported.json``: booking id → SHA-256 of what was written). A booking already in the
ledger with the same content is not written again, even after the finance system took the
file away, so running an export twice never books an invoice twice. A booking whose content
changed (it was corrected) is written again under the same name and reported as such.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from dms.atomic_files import write_atomically
from dms.errors import DmsError

LEDGER = ".exported.json"


class ExportError(DmsError):
    """The target cannot be written (missing directory, no permission, full disk)."""

    exit_code = 6
    http_status = 503
    code = "export_failed"


@dataclass(frozen=True)
class Approval:
    """One signature on the invoice: ``step`` is factual (sachlich richtig), arithmetic
    (rechnerisch richtig) or payment_order (Anordnung)."""

    step: str
    by: str
    at: datetime


@dataclass(frozen=True)
class BookingRecord:
    booking_id: str  # stable per invoice, e.g. RE-000042: the file name and the ledger key
    invoice_id: int
    invoice_number: str  # BT-1
    invoice_date: date | None  # BT-2
    supplier_name: str  # BT-27
    supplier_vat_id: str | None  # BT-31
    iban: str | None  # BT-84
    bic: str | None  # BT-86
    currency: str  # BT-5
    net_cents: int | None  # BT-109
    vat_cents: int | None  # BT-110
    gross_cents: int | None  # BT-112
    due_cents: int | None  # BT-115
    due_date: date | None  # BT-9
    discount_until: date | None  # Skontofrist
    discount_cents: int | None  # Skontobetrag
    cost_centres: tuple[str, ...] = ()  # Kostenstellen (BT-19/BT-133)
    accounts: tuple[str, ...] = ()  # Sachkonten / Haushaltsstellen
    leitweg_id: str | None = None  # BT-10
    order_reference: str | None = None  # BT-13
    approvals: tuple[Approval, ...] = field(default_factory=tuple)

    def approval(self, step: str) -> Approval | None:
        """The latest signature of a step (several factual checks: the last one)."""
        found = [a for a in self.approvals if a.step == step]
        return found[-1] if found else None


def decimal_of(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ExportResult:
    """What one run did: files written (new or changed bookings), bookings skipped because the
    same content was exported before, and the format."""

    format: str
    directory: Path
    written: tuple[Path, ...] = ()
    exported_ids: tuple[str, ...] = ()
    skipped_ids: tuple[str, ...] = ()

    def summary(self) -> str:
        return (f"{len(self.exported_ids)} Buchung(en) als {self.format} nach {self.directory} "
                f"exportiert, {len(self.skipped_ids)} bereits exportiert / "
                f"{len(self.exported_ids)} exported, {len(self.skipped_ids)} already exported")


class FinanceExporter(Protocol):
    """A format: ``export`` writes the records into its directory and says what it did."""

    format: str

    def export(self, records: Sequence[BookingRecord]) -> ExportResult: ...


class FileExporter:
    """Shared part of the file formats: one file per booking, atomic, with a ledger."""

    format = "file"
    suffix = ".txt"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def render(self, record: BookingRecord) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def path_for(self, record: BookingRecord) -> Path:
        return self.directory / f"{record.booking_id}{self.suffix}"

    def export(self, records: Sequence[BookingRecord]) -> ExportResult:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"Exportverzeichnis {self.directory} nicht anlegbar / cannot "
                              f"create the export directory: {exc}") from exc
        written: list[Path] = []
        exported: list[str] = []
        skipped: list[str] = []
        with self._locked_ledger() as ledger:
            for record in records:
                data = self.render(record)
                key = f"{record.booking_id}{self.suffix}"
                digest = hashlib.sha256(data).hexdigest()
                if ledger.get(key) == digest:
                    skipped.append(record.booking_id)
                    continue
                path = self.path_for(record)
                try:
                    write_atomically(path, data, mode=0o644)  # read by the finance import account
                    ledger[key] = digest
                    _write_ledger(self.directory, ledger)  # after each file: none is lost
                except OSError as exc:
                    raise ExportError(f"{path} nicht schreibbar / cannot write: {exc}") from exc
                written.append(path)
                exported.append(record.booking_id)
        return ExportResult(self.format, self.directory, tuple(written), tuple(exported),
                            tuple(skipped))

    @contextmanager
    def _locked_ledger(self) -> Iterator[dict[str, str]]:
        """The ledger under an exclusive lock, so two workers exporting at once see each
        other's bookings."""
        lock_path = self.directory / f"{LEDGER}.lock"
        try:
            with open(lock_path, "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield _read_ledger(self.directory)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except OSError as exc:
            raise ExportError(f"Export nach {self.directory} fehlgeschlagen / export failed: "
                              f"{exc}") from exc


def _read_ledger(directory: Path) -> dict[str, str]:
    path = directory / LEDGER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path} ist beschädigt; bitte prüfen, welche Buchungen übergeben "
                          f"wurden / the export ledger is damaged: {exc}") from exc
    return {str(k): str(v) for k, v in data.get("bookings", {}).items()}


def _write_ledger(directory: Path, ledger: dict[str, str]) -> None:
    text = json.dumps({"bookings": dict(sorted(ledger.items()))}, indent=1)
    write_atomically(directory / LEDGER, text.encode("utf-8"), mode=0o644)
