"""The case lookup backed by dms.services.files, on the demo data (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from dms.models import Case, User
from dms.services.context import SYSTEM, App
from ingest.extract import ReferencePattern, extract_fields, load_register
from ingest.routing import EXISTING_CASE_RULE, load_routing_from_config, route, services_case_lookup
from tests.ingest_rules.conftest import CONFIG


def test_letter_quoting_a_demo_case_is_routed_into_it(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        case = ctx.db.scalar(select(Case).where(Case.title.like("Bauantrag%")))
        assert case is not None
        assert case.owner_id is None  # demo cases are created by the system
        decision = route(
            extract_fields(f"Ihr Zeichen: {case.reference}", reference_pattern=None),
            load_routing_from_config(CONFIG, settings=seeded.settings),
            case_lookup=services_case_lookup(ctx),
        )
        assert decision.assignee is None and decision.candidate_group == "63"
        mueller = ctx.db.scalar(select(User).where(User.username == "mueller"))
        case.owner_id = mueller.id  # type: ignore[union-attr]
        ctx.db.flush()
        reference = case.reference
        letter = (
            "Jan und Lea Hartmann · Lindenweg 10 · 79100 Oberdorf\n\n"
            "Landratsamt Musterkreis\nBauordnungsamt\n79110 Lindenau\n\n"
            f"Ihr Zeichen: {reference}\nOberdorf, den 03.11.2026\n\n"
            "Nachreichung Statik\n\nSehr geehrte Frau Müller,\nanbei die Statik.\n"
        )
        pattern = ReferencePattern.from_settings(seeded.settings, {"600", "401", "211"})
        extraction = extract_fields(
            letter,
            reference_pattern=pattern,
            register=load_register(CONFIG / "correspondents.toml"),
        )
        config = load_routing_from_config(CONFIG, settings=seeded.settings)
        lookup = services_case_lookup(ctx)
        decision = route(extraction, config, case_lookup=lookup)
        assert decision.rule_id == EXISTING_CASE_RULE
        assert decision.case_id == case.id and decision.case_reference == reference
        assert (decision.office_code, decision.assignee) == ("63", "mueller")
        assert decision.file_reference == case.file.reference
        assert decision.reason.startswith(
            f"Aktenzeichen {reference} gefunden: Vorgang 'Bauantrag Einfamilienhaus mit Garage' "
            "(Amt 63)"
        )
        assert lookup(reference + "9") is None  # unknown reference: None, not an exception


def test_sensitive_case_title_stays_out_of_the_reason(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        case = ctx.db.scalar(select(Case).where(Case.title.like("Antrag auf Grundsicherung%")))
        assert case is not None and case.file.sensitive
        info = services_case_lookup(ctx)(case.reference)
        assert info is not None and info.sensitive and info.office_code == "50"
        assert info.title == case.title and info.is_open
