"""Routing rules: each shipped rule, the existing-case shortcut, the readable reasons, and
the validation of a broken routing.toml."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from dms.errors import ConfigError, NotFound
from ingest.extract import (
    Amount,
    CorrespondentRegister,
    Extraction,
    Field,
    Reference,
    ReferencePattern,
    Sender,
    extract_fields,
)
from ingest.routing import (
    EXISTING_CASE_RULE,
    NO_RULE,
    CaseInfo,
    RoutingConfig,
    RoutingConfigError,
    explain,
    load_routing,
    parse_routing,
    route,
)
from tests.ingest_rules.conftest import CONFIG
from tests.ingest_rules.letters import ALL, TODAY

BAU_CASE = CaseInfo(
    case_id=17,
    reference="600-0001/2026-01",
    office_code="63",
    owner="mueller",
    title="Bauantrag Einfamilienhaus mit Garage",
    file_reference="600-0001/2026",
)


def lookup_of(*cases: CaseInfo):  # type: ignore[no-untyped-def]
    known = {c.reference: c for c in cases}
    calls: list[str] = []

    def lookup(reference: str) -> CaseInfo | None:
        calls.append(reference)
        return known.get(reference)

    lookup.calls = calls  # type: ignore[attr-defined]
    return lookup


@pytest.fixture(scope="module")
def extract(register: CorrespondentRegister, pattern: ReferencePattern):  # type: ignore[no-untyped-def]
    def run(text: str) -> Extraction:
        return extract_fields(text, reference_pattern=pattern, register=register, today=TODAY)

    return run


def make(
    text: str = "",
    *,
    doc_type: str = "other",
    type_conf: float = 0.9,
    sender: Sender | None = None,
    sender_conf: float = 0.95,
    amount: str | None = None,
    references: tuple[Reference, ...] = (),
) -> Extraction:
    return Extraction(
        text=text,
        document_type=Field(doc_type, type_conf),
        sender=Field(sender, sender_conf) if sender else None,
        amount=Field(Amount(Decimal(amount)), 0.95) if amount else None,
        references=tuple(Field(r, 0.95) for r in references),
    )


# -- the shipped rules ---------------------------------------------------------------------------


def test_shipped_rules_load_and_are_ordered(routing: RoutingConfig) -> None:
    ids = [r.id for r in routing.rules]
    assert ids[-1] == "auffang-poststelle"
    assert [r.priority for r in routing.rules] == sorted(r.priority for r in routing.rules)
    assert routing.review_threshold == 0.6 and routing.review_office == "10.1"
    lines = list(explain(routing))
    assert lines[0].startswith("0. (eingebaut) vorgang-aktenzeichen")
    assert len(lines) == len(ids) + 1


def test_invoice_to_kreiskasse_with_reason(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    decision = route(extract(ALL["invoice"]), routing, case_lookup=lookup_of())
    assert decision.rule_id == "rechnungen-kasse"
    assert (decision.office_code, decision.plan_code) == ("21", "211")
    assert decision.candidate_group == "kasse-rechnungseingang"
    assert decision.process_key == "letter-distribution"
    assert decision.reason == "Regel 'rechnungen-kasse': Dokumentart Rechnung → Kreiskasse (21)"
    assert not decision.needs_review and decision.confidence >= 0.85


def test_large_invoice_to_the_named_assignee(routing: RoutingConfig) -> None:
    big = route(make(doc_type="invoice", amount="61249.50"), routing)
    assert (big.rule_id, big.assignee) == ("rechnungen-hoher-betrag", "schmidt")
    assert "Betrag 61.249,50 EUR ≥ 50.000,00" in big.reason and big.reason.endswith(", an schmidt")
    small = route(make(doc_type="invoice", amount="49999.99"), routing)
    assert small.rule_id == "rechnungen-kasse"
    none = route(make(doc_type="invoice"), routing)
    assert none.rule_id == "rechnungen-kasse"  # no amount: the amount rule does not hold


def test_court_mail_to_the_legal_department(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    for name in ("court", "amtsgericht"):
        decision = route(extract(ALL[name]), routing)
        assert decision.rule_id == "gerichtspost-absender"
        assert (decision.office_code, decision.plan_code) == ("10", "030")
        assert decision.candidate_group == "rechtsabteilung"
    assert route(extract(ALL["court"]), routing).reason == (
        "Regel 'gerichtspost-absender': Absender Verwaltungsgericht Freiburg (Gericht) "
        "→ Haupt- und Personalamt (10)"
    )
    # a court not in the register: by document type
    unknown = route(make("Beschluss", doc_type="court", type_conf=0.9), routing)
    assert (unknown.rule_id, unknown.office_code, unknown.plan_code) == (
        "gerichtspost",
        "10",
        "030",
    )


def test_court_mail_quoting_our_case_goes_into_the_case(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    case = CaseInfo(3, "600-0007/2025-02", "63", "mueller", "Klage Hartmann")
    decision = route(extract(ALL["court"]), routing, case_lookup=lookup_of(case))
    assert decision.rule_id == EXISTING_CASE_RULE and decision.case_reference == case.reference


def test_advertising_to_the_poststelle(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    decision = route(extract(ALL["advertising"]), routing)
    assert (decision.rule_id, decision.office_code) == ("werbung-entsorgung", "10.1")
    assert decision.reason.startswith("Regel 'werbung-entsorgung': Dokumentart Werbung")


@pytest.mark.parametrize(
    ("text", "rule", "office", "plan"),
    [
        ("Bauantrag für ein Einfamilienhaus", "bauordnung", "63", "600"),
        ("Antrag auf Baugenehmigung, Nutzungsänderung", "bauordnung", "63", "600"),
        ("Bauvoranfrage Flurstück 481/3", "bauvoranfrage", "63", "601"),
        ("Antrag auf Grundsicherung im Alter", "grundsicherung", "50", "401"),
        ("Leistungen der Sozialhilfe nach dem SGB XII", "sozialhilfe", "50", "400"),
        ("Antrag auf Wohngeld (Mietzuschuss)", "wohngeld", "50", "43"),
        ("Zulassung eines Neufahrzeugs, Zulassungsbescheinigung Teil II", "zulassung", "36", "701"),
        ("Umtausch meines Führerscheins", "fahrerlaubnis", "36", "702"),
        ("Anhörungsbogen zum Bußgeldverfahren", "bussgeld", "36", "703"),
        ("Antrag auf Hilfe zur Erziehung", "jugendhilfe", "51", "410"),
        ("Bewerbung um einen Ausbildungsplatz", "bewerbungen-ausbildung", "10", "022.31"),
    ],
)
def test_keyword_rules(
    routing: RoutingConfig, text: str, rule: str, office: str, plan: str
) -> None:
    decision = route(make(text, doc_type="application", type_conf=0.5), routing)
    assert (decision.rule_id, decision.office_code, decision.plan_code) == (rule, office, plan)
    assert not decision.needs_review
    assert decision.reason.startswith(f"Regel '{rule}': Stichw")


def test_keywords_ignore_case_umlauts_and_endings(routing: RoutingConfig) -> None:
    assert route(make("BUSSGELDBESCHEID vom 1.10."), routing).rule_id == "bussgeld"
    assert route(make("Fuehrerscheinstelle"), routing).rule_id == "fahrerlaubnis"
    assert route(make("des Bauantrages"), routing).rule_id == "bauordnung"
    assert route(make("Grundsicherungsamt"), routing).rule_id == "grundsicherung"
    assert route(make("Nebauantrag"), routing).rule_id != "bauordnung"  # word start only


def test_keywords_all_and_any_together(routing: RoutingConfig) -> None:
    assert route(make("Bewerbung um ein Praktikum"), routing).rule_id == "bewerbungen-ausbildung"
    assert route(make("Praktikum gesucht"), routing).rule_id == "auffang-poststelle"
    assert route(make("Bewerbung als Hausmeister"), routing).rule_id == "auffang-poststelle"


@pytest.mark.parametrize(
    ("name", "rule", "office"),
    [
        ("objection", "widerspruch-sozialamt", "50"),
        ("bussgeld_einspruch", "widerspruch-bussgeld", "36"),
    ],
)
def test_objections_go_to_the_deciding_office(
    routing: RoutingConfig,
    extract,
    name: str,
    rule: str,
    office: str,  # type: ignore[no-untyped-def]
) -> None:
    decision = route(extract(ALL[name]), routing, case_lookup=lookup_of())
    assert (decision.rule_id, decision.office_code) == (rule, office)


def test_objection_against_building_decision(routing: RoutingConfig) -> None:
    decision = route(make("Widerspruch gegen die Baugenehmigung", doc_type="objection"), routing)
    assert (decision.rule_id, decision.office_code) == ("widerspruch-bauordnung", "63")


def test_separator_sheet_code(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    decision = route(extract(ALL["invoice"]), routing, routing_code="office=63")
    assert (decision.rule_id, decision.office_code) == ("trennblatt-bauordnungsamt", "63")
    assert decision.reason == (
        "Regel 'trennblatt-bauordnungsamt': Trennblatt-Code 'office=63' → Bauordnungsamt (63)"
    )
    assert route(make(), routing, routing_code="OFFICE=50").office_code == "50"
    assert route(make(), routing, routing_code="office=99").rule_id == "auffang-poststelle"


def test_fallback_goes_to_review(routing: RoutingConfig) -> None:
    decision = route(make("Ich teile Ihnen meine neue Anschrift mit."), routing)
    assert decision.rule_id == "auffang-poststelle" and decision.office_code == "10.1"
    assert decision.needs_review and decision.candidate_group == "poststelle-pruefung"
    assert decision.reason == (
        "Regel 'auffang-poststelle': keine Bedingung (Auffangregel) → Poststelle (10.1)"
    )


def test_low_confidence_goes_to_review(routing: RoutingConfig) -> None:
    decision = route(make(doc_type="invoice", type_conf=0.5), routing)
    assert decision.rule_id == "rechnungen-kasse" and decision.office_code == "21"
    assert decision.needs_review and decision.confidence == pytest.approx(0.475)
    assert decision.reason == (
        "Regel 'rechnungen-kasse': Dokumentart Rechnung (50 %) → Kreiskasse (21)"
        " – unsicher (48 %), bitte prüfen"
    )


def test_document_type_override_from_the_classifier(routing: RoutingConfig) -> None:
    extraction = make("Rechnunq", doc_type="other", type_conf=0.3)
    decision = route(extraction, routing, document_type=Field("invoice", 0.92))
    assert decision.rule_id == "rechnungen-kasse" and not decision.needs_review


# -- the existing-case shortcut ----------------------------------------------------------------


def test_existing_case_shortcut(routing: RoutingConfig, extract) -> None:  # type: ignore[no-untyped-def]
    lookup = lookup_of(BAU_CASE)
    decision = route(extract(ALL["bau_stellungnahme"]), routing, case_lookup=lookup)
    assert decision.rule_id == EXISTING_CASE_RULE
    assert decision.case_id == 17 and decision.case_reference == "600-0001/2026-01"
    assert decision.file_reference == "600-0001/2026" and decision.plan_code == "600"
    assert (decision.office_code, decision.assignee) == ("63", "mueller")
    assert decision.process_key == "letter-distribution"
    assert decision.reason == (
        "Aktenzeichen 600-0001/2026-01 gefunden: Vorgang 'Bauantrag Einfamilienhaus mit Garage' "
        "(Amt 63); Aufgabe an mueller"
    )
    assert decision.confidence >= 0.95 and not decision.needs_review
    assert lookup.calls == ["600-0001/2026-01"]  # type: ignore[attr-defined]


def test_unknown_case_reference_falls_through_to_the_rules(
    routing: RoutingConfig,
    extract,  # type: ignore[no-untyped-def]
) -> None:
    decision = route(extract(ALL["bau_stellungnahme"]), routing, case_lookup=lookup_of())
    assert decision.rule_id == "bauordnung" and decision.office_code == "63"
    assert decision.reason.startswith(
        "Aktenzeichen 600-0001/2026-01 nicht gefunden; Regel 'bauordnung': Stichwort 'Bauantrag'"
    )


def test_their_references_are_never_looked_up(routing: RoutingConfig) -> None:
    lookup = lookup_of(BAU_CASE)
    theirs = Reference("600-0001/2026-01", "theirs", "case", "Unser Zeichen", "600")
    decision = route(make(references=(theirs,)), routing, case_lookup=lookup)
    assert decision.rule_id != EXISTING_CASE_RULE and lookup.calls == []  # type: ignore[attr-defined]
    file_ref = Reference("600-0001/2026", "ours", "file", "Ihr Zeichen", "600")
    route(make(references=(file_ref,)), routing, case_lookup=lookup)
    assert lookup.calls == []  # type: ignore[attr-defined]


def test_second_reference_when_the_first_is_unknown(routing: RoutingConfig) -> None:
    refs = (
        Reference("600-0099/2026-01", "ours", "case", "Ihr Zeichen", "600"),
        Reference("600-0001/2026-01", "ours", "case", None, "600"),
    )
    decision = route(make(references=refs), routing, case_lookup=lookup_of(BAU_CASE))
    assert decision.case_reference == "600-0001/2026-01"


def test_closed_and_sensitive_cases(routing: RoutingConfig) -> None:
    ref = (Reference("401-0012/2026-03", "ours", "case", "Ihr Zeichen", "401"),)
    sensitive = CaseInfo(5, "401-0012/2026-03", "50", "weber", "Grundsicherung Herr K.",
                         sensitive=True)  # fmt: skip
    decision = route(make(references=ref), routing, case_lookup=lookup_of(sensitive))
    assert "Grundsicherung Herr K." not in decision.reason
    assert decision.reason.startswith(
        "Aktenzeichen 401-0012/2026-03 gefunden: Vorgang 401-0012/2026-03 (Amt 50)"
    )
    closed = CaseInfo(5, "401-0012/2026-03", "50", None, "Antrag", is_open=False)
    decision = route(make(references=ref), routing, case_lookup=lookup_of(closed))
    assert decision.needs_review and "abgeschlossen" in decision.reason
    assert decision.assignee is None and decision.candidate_group == "50"


def test_lookup_errors_mean_not_found(routing: RoutingConfig) -> None:
    def failing(reference: str) -> CaseInfo | None:
        raise NotFound("Vorgang nicht gefunden")

    ref = (Reference("600-0001/2026-01", "ours", "case", "Ihr Zeichen", "600"),)
    decision = route(make("Bauantrag", references=ref), routing, case_lookup=failing)
    assert decision.rule_id == "bauordnung"


# -- configuration ---------------------------------------------------------------------------------

OFFICES = {"10": "Haupt- und Personalamt", "10.1": "Poststelle", "21": "Kreiskasse"}
PLANS = {"030", "211"}


def parse(toml: str, **extra) -> RoutingConfig:  # type: ignore[no-untyped-def]
    return parse_routing(
        tomllib.loads(toml),
        offices=OFFICES,
        plan_codes=PLANS,
        process_keys={"letter-distribution", "cosign"},
        **extra,
    )


def problems(toml: str, **extra) -> list[tuple[str | None, str | None, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(RoutingConfigError) as info:
        parse(toml, **extra)
    assert isinstance(info.value, ConfigError) and info.value.exit_code == 7
    return [(p.rule, p.field, p.message) for p in info.value.problems]


def test_priority_order_beats_file_order() -> None:
    config = parse(
        """
        [[rule]]
        id = "spaet"
        priority = 50
        target.office = "21"
        when.document_type = "invoice"

        [[rule]]
        id = "frueh"
        priority = 5
        target.office = "10"
        when.document_type = "invoice"
        """
    )
    assert route(make(doc_type="invoice"), config).rule_id == "frueh"


def test_equal_priorities_keep_file_order() -> None:
    config = parse(
        """
        [[rule]]
        id = "erste"
        target.office = "21"
        when.keywords_any = ["Rechnung"]
        [[rule]]
        id = "zweite"
        target.office = "10"
        when.keywords_any = ["Rechnung"]
        """
    )
    assert route(make("Rechnung"), config).rule_id == "erste"


def test_no_rule_matches_without_fallback() -> None:
    config = parse('[[rule]]\nid = "r"\ntarget.office = "21"\nwhen.document_type = "invoice"\n')
    decision = route(make("Hallo"), config)
    assert decision.rule_id == NO_RULE and decision.needs_review and decision.confidence == 0
    assert decision.office_code == "10.1"
    assert decision.reason == "Keine Regel trifft zu → Poststelle (10.1) zur Prüfung"


def test_sender_conditions(register: CorrespondentRegister) -> None:
    config = parse(
        """
        [[rule]]
        id = "vom-amtsgericht"
        target.office = "10"
        when.sender = "amtsgericht-lindenau"
        [[rule]]
        id = "firma-gmbh"
        target.office = "21"
        when.sender_regex = "GmbH$"
        """,
        register=register,
    )
    court = register.get("amtsgericht-lindenau")
    decision = route(make(sender=Sender("Amtsgericht Lindenau", court, 1.0)), config)
    assert decision.rule_id == "vom-amtsgericht"
    assert decision.reason == (
        "Regel 'vom-amtsgericht': Absender Amtsgericht Lindenau → Haupt- und Personalamt (10)"
    )
    assert route(make(sender=Sender("Müller GmbH")), config).rule_id == "firma-gmbh"
    assert route(make(sender=Sender("Müller KG")), config).rule_id == NO_RULE
    weak = route(make(sender=Sender("Müller GmbH"), sender_conf=0.35), config)
    assert weak.needs_review and "(35 %)" in weak.reason


def test_reference_regex_condition() -> None:
    config = parse(
        '[[rule]]\nid = "az"\ntarget.office = "10"\nwhen.reference_regex = "^[0-9]+ K "\n'
    )
    court_ref = Reference("4 K 1234/26", "theirs", "other", "Geschäftsnummer")
    decision = route(make(references=(court_ref,)), config)
    assert decision.rule_id == "az" and "Aktenzeichen 4 K 1234/26" in decision.reason
    assert route(make(), config).rule_id == NO_RULE


def test_amount_below_condition() -> None:
    config = parse(
        """
        [[rule]]
        id = "kleinbetrag"
        target.office = "21"
        when.amount_below = 100
        when.amount_min = "10,00"
        """
    )
    assert route(make(amount="99.99"), config).rule_id == "kleinbetrag"
    assert route(make(amount="100"), config).rule_id == NO_RULE
    assert route(make(amount="9.99"), config).rule_id == NO_RULE


def test_case_target(pattern: ReferencePattern) -> None:
    config = parse(
        """
        [[rule]]
        id = "sammelvorgang"
        target.office = "21"
        target.case = "211-0001/2026-01"
        target.file = "211-0001/2026"
        when.keywords_any = ["Mahnung"]
        """,
        reference_pattern=pattern,
    )
    decision = route(make("Mahnung"), config)
    assert (
        decision.case_reference == "211-0001/2026-01" and decision.file_reference == "211-0001/2026"
    )


BROKEN = """
review_threshold = 1.5
colour = "blue"

[[rule]]
id = "rechnungen"
target.office = "99"
target.plan = "999"
when.document_type = "bill"
when.amount_gt = 100

[[rule]]
id = "regex"
target.office = "21"
target.process = "nirvana"
when.sender_regex = "(unclosed"
when.reference_regex = "[a-"

[[rule]]
id = "rechnungen"
priority = "hoch"
target.offce = "21"

[[rule]]
description = "ohne id"
target = { office = "21", assignee = "niemand" }
when.keywords_any = []
when.sender = "gibt-es-nicht"

[[rule]]
id = "werte"
confidence = 2
review = "ja"
target.office = "21"
when.amount_min = "viel"
when.sender_kind = "alien"
"""


def test_broken_routing_toml_lists_every_problem(register: CorrespondentRegister) -> None:
    found = problems(BROKEN, register=register, known_users={"schmidt"})
    fields = {(rule, field) for rule, field, _ in found}
    assert (None, "review_threshold") in fields
    assert (None, "colour") in fields
    assert ("rechnungen", "target.office") in fields
    assert ("rechnungen", "target.plan") in fields
    assert ("rechnungen", "when.document_type") in fields
    assert ("rechnungen", "when.amount_gt") in fields
    assert ("regex", "target.process") in fields
    assert ("regex", "when.sender_regex") in fields
    assert ("regex", "when.reference_regex") in fields
    assert ("rechnungen", "id") in fields  # duplicate
    assert ("rechnungen", "priority") in fields
    assert ("rechnungen", "target.offce") in fields
    assert ("#4", "id") in fields
    assert ("#4", "when.keywords_any") in fields
    assert ("#4", "when.sender") in fields
    assert ("#4", "target.assignee") in fields
    assert ("werte", "confidence") in fields
    assert ("werte", "review") in fields
    assert ("werte", "when.amount_min") in fields
    assert ("werte", "when.sender_kind") in fields
    messages: dict[tuple[str | None, str | None], str] = {}
    for rule, field, message in found:
        messages[(rule, field)] = messages.get((rule, field), "") + message + "\n"
    assert "unbekanntes Amt '99'" in messages[("rechnungen", "target.office")]
    assert "fehlt" in messages[("rechnungen", "target.office")]  # the duplicate's "offce"
    assert "unbekannte Aktenplan-Kennziffer '999'" in messages[("rechnungen", "target.plan")]
    assert "ungültiger regulärer Ausdruck '(unclosed'" in messages[("regex", "when.sender_regex")]
    assert "unbekanntes Feld" in messages[("rechnungen", "when.amount_gt")]
    assert "gibt-es-nicht" in messages[("#4", "when.sender")]


def test_error_message_names_rule_and_field() -> None:
    with pytest.raises(RoutingConfigError) as info:
        parse('[[rule]]\nid = "kasse"\ntarget.office = "99"\n')
    text = str(info.value)
    assert "Regel 'kasse', Feld 'target.office': unbekanntes Amt '99'" in text
    assert "1 Fehler" in text


def test_catch_all_rule_before_others_is_an_error() -> None:
    found = problems(
        """
        [[rule]]
        id = "alles"
        priority = 1
        target.office = "10.1"
        [[rule]]
        id = "kasse"
        priority = 2
        target.office = "21"
        when.document_type = "invoice"
        """
    )
    assert found[0][:2] == ("alles", "when") and "'kasse'" in found[0][2]


def test_missing_target_and_reserved_id() -> None:
    found = problems('[[rule]]\nid = "vorgang-aktenzeichen"\nwhen.document_type = "court"\n')
    assert ("vorgang-aktenzeichen", "id") in {(r, f) for r, f, _ in found}
    assert ("vorgang-aktenzeichen", "target") in {(r, f) for r, f, _ in found}


def test_bad_case_target_reference(pattern: ReferencePattern) -> None:
    found = problems(
        '[[rule]]\nid = "x"\ntarget.office = "21"\ntarget.case = "211-0001/2026"\n',
        reference_pattern=pattern,
    )
    assert found == [("x", "target.case", "'211-0001/2026' ist kein Vorgangs-Aktenzeichen "
                      "nach unserem Schema")]  # fmt: skip


def test_load_routing_from_files(tmp_path: Path, register: CorrespondentRegister) -> None:
    path = tmp_path / "routing.toml"
    path.write_text('[[rule]]\nid = "r"\ntarget.office = "21"\n', encoding="utf-8")
    config = load_routing(path, offices=OFFICES, plan_codes=PLANS)
    assert [r.id for r in config.rules] == ["r"]
    path.write_text("[[rule]\nid=", encoding="utf-8")
    with pytest.raises(RoutingConfigError, match="kein gültiges TOML"):
        load_routing(path, offices=OFFICES, plan_codes=PLANS)
    with pytest.raises(ConfigError, match="fehlen"):
        load_routing(tmp_path / "nope.toml", offices=OFFICES, plan_codes=PLANS)


def test_shipped_file_is_the_one_loaded(routing: RoutingConfig) -> None:
    raw = tomllib.loads((CONFIG / "routing.toml").read_text(encoding="utf-8"))
    assert len(raw["rule"]) == len(routing.rules)
