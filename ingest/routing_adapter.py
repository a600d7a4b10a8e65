"""Glue between the pure extraction/routing functions and the e-file: loads the rules and
registers once per configuration, resolves references against real cases, and turns the
result into what the letter row and the mailroom screen store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.models import PlanNode
from dms.services.context import Ctx


@dataclass(frozen=True)
class RoutingProposal:
    office_code: str
    case_id: int | None
    case_reference: str | None
    assignee: str | None
    candidate_group: str | None
    process_key: str | None
    rule_id: str | None
    confidence: float
    reason: str
    needs_review: bool
    extraction: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extraction")
        return data


@lru_cache(maxsize=4)
def _routing(config_dir: str) -> Any:
    from ingest.routing import load_routing_from_config

    return load_routing_from_config(Path(config_dir))


@lru_cache(maxsize=4)
def _register(config_dir: str) -> Any:
    from ingest.extract.correspondents import load_register

    return load_register(Path(config_dir) / "correspondents.toml")


def propose_routing(ctx: Ctx, text: str, routing_code: str | None) -> RoutingProposal:
    from ingest.extract.core import extract_fields
    from ingest.extract.references import ReferencePattern
    from ingest.routing import route, services_case_lookup

    settings = ctx.app.settings
    config_dir = str(settings.config_dir)
    plan_codes = list(ctx.db.scalars(select(PlanNode.code)))
    extraction = extract_fields(
        text,
        reference_pattern=ReferencePattern.from_settings(settings, plan_codes),
        register=_register(config_dir),
    )
    decision = route(
        extraction,
        _routing(config_dir),
        case_lookup=services_case_lookup(ctx),
        routing_code=routing_code,
    )
    return RoutingProposal(
        office_code=decision.office_code,
        case_id=decision.case_id,
        case_reference=decision.case_reference,
        assignee=decision.assignee,
        candidate_group=decision.candidate_group,
        process_key=decision.process_key,
        rule_id=decision.rule_id,
        confidence=decision.confidence,
        reason=decision.reason,
        needs_review=decision.needs_review,
        extraction=summarise(extraction),
    )


def summarise(extraction: Any) -> dict[str, Any]:
    """The fields as JSON for the letter row and the mailroom screen (with evidence spans)."""

    def value(field_: Any) -> Any:
        if field_ is None:
            return None
        return {"value": str(field_.value), "confidence": round(field_.confidence, 3)}

    sender = extraction.sender
    date_ = extraction.date
    doc_type = extraction.document_type
    title_bits = [
        sender.value.name if sender else None,
        date_.value.strftime("%d.%m.%Y") if date_ else None,
    ]
    return {
        "title": " vom ".join(b for b in title_bits if b) or None,
        "sender": sender.value.name if sender else None,
        "sender_register_id": sender.value.correspondent.id
        if sender and sender.value.correspondent
        else None,
        "date": date_.value.isoformat() if date_ else None,
        "document_type": doc_type.value if doc_type else "other",
        "document_type_confidence": round(doc_type.confidence, 3) if doc_type else 0.0,
        "references": [
            {
                "value": r.value.value,
                "owner": r.value.owner,
                "kind": r.value.kind,
                "label": r.value.label,
                "confidence": round(r.confidence, 3),
            }
            for r in extraction.references
        ],
        "iban": value(extraction.iban),
        "amount": value(extraction.amount),
    }
