"""Value objects of extraction: every field is a value, a confidence and the text it came from.

The mailroom screen highlights ``Evidence`` spans in the OCR text, so a span always points
into the text that was passed to :func:`ingest.extract.extract_fields` (offsets are character
offsets into that string, ``page`` is 1-based when per-page text was given).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

#: The document types extraction and the classifier choose from.
DOCUMENT_TYPES = ("invoice", "application", "objection", "court", "advertising", "other")
#: Their German names, as the mailroom screen and routing reasons show them.
DOCUMENT_TYPE_NAMES = {
    "invoice": "Rechnung",
    "application": "Antrag",
    "objection": "Widerspruch",
    "court": "Gerichtspost",
    "advertising": "Werbung",
    "other": "Sonstiges",
}

ReferenceOwner = Literal["ours", "theirs", "unknown"]
ReferenceKind = Literal["case", "file", "other"]


@dataclass(frozen=True)
class Evidence:
    """A span of the input text: ``text == full_text[start:end]``."""

    start: int
    end: int
    text: str
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "page": self.page}


@dataclass(frozen=True)
class Field(Generic[T]):
    """One extracted value with a confidence in 0..1 and the span(s) that support it."""

    value: T
    confidence: float
    evidence: tuple[Evidence, ...] = ()

    @property
    def span(self) -> Evidence | None:
        return self.evidence[0] if self.evidence else None


@dataclass(frozen=True)
class Correspondent:
    """One entry of the correspondent register (config/correspondents.toml)."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    address: str = ""
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sender:
    """Who wrote the letter: a register entry when one matched, else the name as read."""

    name: str
    correspondent: Correspondent | None = None
    score: float = 0.0  # fuzzy score of the best alias against the letter, 0..1


@dataclass(frozen=True)
class Reference:
    """A reference number. ``owner`` says whose it is: ``ours`` is an Aktenzeichen of this
    office (for a letter to us: found under "Ihr Zeichen" or in our scheme), ``theirs`` the
    sender's ("Unser Zeichen", a court's Geschäftsnummer)."""

    value: str
    owner: ReferenceOwner
    kind: ReferenceKind
    label: str | None = None
    plan_code: str | None = None
    file_reference: str | None = None  # for a case reference: the file part


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str = "EUR"
    label: str | None = None  # "Gesamtbetrag", "Rechnungsbetrag", ... when one stood near it

    def __str__(self) -> str:
        from ingest.extract.amounts import format_amount_de

        return f"{format_amount_de(self.value)} {self.currency}"


@dataclass(frozen=True)
class Extraction:
    """Everything :func:`extract_fields` found in one letter."""

    text: str = field(repr=False)
    date: Field[date] | None = None
    date_candidates: tuple[Field[date], ...] = ()
    sender: Field[Sender] | None = None
    sender_candidates: tuple[Field[Sender], ...] = ()
    references: tuple[Field[Reference], ...] = ()
    ibans: tuple[Field[str], ...] = ()
    bics: tuple[Field[str], ...] = ()
    amounts: tuple[Field[Amount], ...] = ()
    amount: Field[Amount] | None = None  # the main amount (Gesamtbetrag, zu zahlen, ...)
    document_type: Field[str] = Field("other", 0.0)
    type_scores: dict[str, float] = field(default_factory=dict)

    @property
    def our_references(self) -> tuple[Field[Reference], ...]:
        return tuple(r for r in self.references if r.value.owner == "ours")

    @property
    def their_references(self) -> tuple[Field[Reference], ...]:
        return tuple(r for r in self.references if r.value.owner != "ours")

    @property
    def case_references(self) -> tuple[Field[Reference], ...]:
        """Our case references, most confident first (what the existing-case shortcut tries)."""
        refs = [r for r in self.our_references if r.value.kind == "case"]
        return tuple(sorted(refs, key=lambda r: -r.confidence))

    @property
    def iban(self) -> Field[str] | None:
        return self.ibans[0] if self.ibans else None

    def fields(self) -> Iterator[tuple[str, Field[Any]]]:
        """(name, field) pairs in screen order, for rendering and highlighting."""
        if self.date:
            yield "date", self.date
        if self.sender:
            yield "sender", self.sender
        for ref in self.references:
            yield "reference", ref
        for iban in self.ibans:
            yield "iban", iban
        for bic in self.bics:
            yield "bic", bic
        if self.amount:
            yield "amount", self.amount
        yield "document_type", self.document_type

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates ISO, amounts as strings) for the API and the review screen."""

        def ev(f: Field[Any]) -> list[dict[str, Any]]:
            return [e.to_dict() for e in f.evidence]

        def amount(f: Field[Amount]) -> dict[str, Any]:
            a = f.value
            return {
                "value": str(a.value),
                "currency": a.currency,
                "label": a.label,
                "confidence": round(f.confidence, 3),
                "evidence": ev(f),
            }

        sender = None
        if self.sender:
            s = self.sender.value
            sender = {
                "name": s.name,
                "correspondent_id": s.correspondent.id if s.correspondent else None,
                "kind": s.correspondent.kind if s.correspondent else None,
                "score": round(s.score, 3),
                "confidence": round(self.sender.confidence, 3),
                "evidence": ev(self.sender),
            }
        return {
            "date": None
            if self.date is None
            else {
                "value": self.date.value.isoformat(),
                "confidence": round(self.date.confidence, 3),
                "evidence": ev(self.date),
            },
            "sender": sender,
            "references": [
                {
                    "value": r.value.value,
                    "owner": r.value.owner,
                    "kind": r.value.kind,
                    "label": r.value.label,
                    "plan_code": r.value.plan_code,
                    "confidence": round(r.confidence, 3),
                    "evidence": ev(r),
                }
                for r in self.references
            ],
            "ibans": [
                {"value": f.value, "confidence": round(f.confidence, 3), "evidence": ev(f)}
                for f in self.ibans
            ],
            "bics": [
                {"value": f.value, "confidence": round(f.confidence, 3), "evidence": ev(f)}
                for f in self.bics
            ],
            "amount": amount(self.amount) if self.amount else None,
            "amounts": [amount(f) for f in self.amounts],
            "document_type": {
                "value": self.document_type.value,
                "confidence": round(self.document_type.confidence, 3),
                "evidence": ev(self.document_type),
                "scores": {k: round(v, 3) for k, v in self.type_scores.items()},
            },
        }
