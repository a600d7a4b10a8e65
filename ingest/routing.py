"""Routing: where an incoming letter goes, decided by rules that administrators keep as data.

``config/routing.toml`` holds the rules; :func:`load_routing` validates them once (every
problem names the rule and the field) and :func:`route` applies them to an
:class:`~ingest.extract.Extraction`:

1. Built in, before any rule: a reference number of ours that names an existing case routes
   the letter into that case, to its owner (``case_lookup`` answers; it is a plain callable so
   this module needs no database; :func:`services_case_lookup` builds one on dms.services).
2. Then the rules, by ascending ``priority`` (ties in file order); the first whose conditions
   all hold wins. Conditions: document type, sender (register id, kind or regex), keywords
   (any / all), main amount (``amount_min`` <=, ``amount_below`` >), reference regex, and the
   routing code of the separator sheet.
3. No rule: the Poststelle's review queue.

A decision's confidence is the rule's own confidence times the weakest evidence it relied on
(the document type's or the sender's confidence); below ``review_threshold`` the letter goes
to review (``needs_review``). Every decision carries a German sentence saying why.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from dms.errors import ConfigError, NotFound, PermissionDenied
from ingest.extract.amounts import format_amount_de, parse_amount_de
from ingest.extract.correspondents import KINDS, CorrespondentRegister
from ingest.extract.model import DOCUMENT_TYPE_NAMES, DOCUMENT_TYPES, Extraction
from ingest.extract.model import Field as ExtractedField
from ingest.extract.references import ReferencePattern
from ingest.extract.text import fold

EXISTING_CASE_RULE = "vorgang-aktenzeichen"
NO_RULE = "keine-regel"
DEFAULT_PROCESS = "letter-distribution"

_KIND_NAMES = {
    "municipality": "Gemeinde",
    "court": "Gericht",
    "authority": "Behörde",
    "company": "Firma",
    "person": "Privatperson",
    "association": "Verein/Verband",
    "bank": "Bank",
}
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


# -- inputs and outputs -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseInfo:
    """What routing needs to know about an existing case (Vorgang)."""

    case_id: int
    reference: str
    office_code: str
    owner: str | None  # username of the clerk in charge (Federführung)
    title: str = ""
    file_reference: str | None = None
    is_open: bool = True
    sensitive: bool = False  # the title is not shown in the reason (social data, ...)


CaseLookup = Callable[[str], CaseInfo | None]


@dataclass(frozen=True)
class RoutingDecision:
    office_code: str
    case_reference: str | None
    file_reference: str | None
    plan_code: str | None
    assignee: str | None
    candidate_group: str | None
    process_key: str
    rule_id: str | None
    confidence: float
    reason: str
    needs_review: bool = False
    case_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keyword:
    text: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Conditions:
    document_type: frozenset[str] | None = None
    sender: frozenset[str] | None = None
    sender_kind: frozenset[str] | None = None
    sender_regex: re.Pattern[str] | None = None
    keywords_any: tuple[_Keyword, ...] = ()
    keywords_all: tuple[_Keyword, ...] = ()
    amount_min: Decimal | None = None
    amount_below: Decimal | None = None
    reference_regex: re.Pattern[str] | None = None
    routing_code: str | None = None

    @property
    def empty(self) -> bool:
        return self == Conditions()


@dataclass(frozen=True)
class Target:
    office: str
    case: str | None = None
    file: str | None = None
    plan: str | None = None
    assignee: str | None = None
    candidate_group: str | None = None
    process: str = DEFAULT_PROCESS


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    priority: int
    when: Conditions
    target: Target
    confidence: float = 0.8
    review: bool = False  # always send to review (e.g. the fallback rule)


@dataclass(frozen=True)
class RoutingConfig:
    rules: tuple[Rule, ...]
    offices: Mapping[str, str]  # code -> name
    review_threshold: float = 0.6
    review_office: str = "10.1"
    review_group: str | None = None
    default_process: str = DEFAULT_PROCESS
    register: CorrespondentRegister | None = field(default=None, repr=False)

    def office_label(self, code: str) -> str:
        name = self.offices.get(code)
        return f"{name} ({code})" if name else f"Amt {code}"

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# -- validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleProblem:
    rule: str | None  # rule id, or "#3" (its position) when it has none
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.rule:
            where.append(_rule_name(self.rule))
        if self.field:
            where.append(f"Feld '{self.field}'")
        return (", ".join(where) + ": " if where else "") + self.message


class RoutingConfigError(ConfigError):
    """routing.toml is invalid; ``problems`` lists every problem with rule and field."""

    def __init__(self, source: str, problems: list[RuleProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{source}: ungültige Routing-Regeln / invalid routing rules "
            f"({len(problems)} Fehler):\n{lines}"
        )


_TOP_FIELDS = {"review_threshold", "default_process", "review_office", "review_group", "rule"}
_RULE_FIELDS = {"id", "description", "priority", "confidence", "review", "when", "target"}
_WHEN_FIELDS = {
    "document_type",
    "sender",
    "sender_kind",
    "sender_regex",
    "keywords_any",
    "keywords_all",
    "amount_min",
    "amount_below",
    "reference_regex",
    "routing_code",
}
_TARGET_FIELDS = {"office", "case", "file", "plan", "assignee", "candidate_group", "process"}


def _keyword(text: str) -> _Keyword:
    words = fold(text).split()
    body = r"\s+".join(re.escape(w) for w in words)
    return _Keyword(text, re.compile(rf"(?<![a-z0-9]){body}"))


class _Validator:
    def __init__(
        self,
        *,
        offices: Mapping[str, str],
        plan_codes: Collection[str],
        process_keys: Collection[str] | None,
        register: CorrespondentRegister | None,
        reference_pattern: ReferencePattern | None,
        known_users: Collection[str] | None,
    ) -> None:
        self.offices = offices
        self.plan_codes = set(plan_codes)
        self.process_keys = set(process_keys) if process_keys is not None else None
        self.register = register
        self.pattern = reference_pattern
        self.users = set(known_users) if known_users is not None else None
        self.problems: list[RuleProblem] = []

    def problem(self, rule: str | None, fld: str | None, message: str) -> None:
        self.problems.append(RuleProblem(rule, fld, message))

    def _strings(self, rule: str, name: str, value: Any, *, allow_one: bool) -> list[str] | None:
        if allow_one and isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            what = "ein Text oder eine Liste von Texten" if allow_one else "eine Liste von Texten"
            self.problem(rule, name, f"erwartet {what}, nicht {value!r}")
            return None
        return [v.strip() for v in value]

    def _regex(self, rule: str, name: str, value: Any) -> re.Pattern[str] | None:
        if not isinstance(value, str) or not value:
            self.problem(rule, name, f"erwartet einen regulären Ausdruck, nicht {value!r}")
            return None
        try:
            return re.compile(value, re.I)
        except re.error as exc:
            self.problem(rule, name, f"ungültiger regulärer Ausdruck {value!r}: {exc}")
            return None

    def _amount(self, rule: str, name: str, value: Any) -> Decimal | None:
        if isinstance(value, bool):
            amount = None
        elif isinstance(value, int | float):
            amount = Decimal(str(value))
        elif isinstance(value, str):
            amount = parse_amount_de(value)
            if amount is None:
                try:
                    amount = Decimal(value.strip())
                except ArithmeticError:
                    amount = None
        else:
            amount = None
        if amount is None:
            self.problem(
                rule, name, f'erwartet einen Betrag (z.B. 1000 oder "1.000,00"), nicht {value!r}'
            )
        return amount

    def conditions(self, rule: str, raw: Any) -> Conditions:
        if not isinstance(raw, dict):
            self.problem(rule, "when", "erwartet eine Tabelle von Bedingungen")
            return Conditions()
        for name in sorted(set(raw) - _WHEN_FIELDS):
            self.problem(
                rule,
                f"when.{name}",
                f"unbekanntes Feld (erlaubt: {', '.join(sorted(_WHEN_FIELDS))})",
            )
        values: dict[str, Any] = {}
        if "document_type" in raw:
            types = self._strings(rule, "when.document_type", raw["document_type"], allow_one=True)
            if types is not None:
                bad = [t for t in types if t not in DOCUMENT_TYPES]
                if bad:
                    self.problem(
                        rule,
                        "when.document_type",
                        f"unbekannte Dokumentart "
                        f"{', '.join(bad)} (erlaubt: {', '.join(DOCUMENT_TYPES)})",
                    )
                values["document_type"] = frozenset(types)
        if "sender" in raw:
            ids = self._strings(rule, "when.sender", raw["sender"], allow_one=True)
            if ids is not None:
                if self.register is not None:
                    bad = [i for i in ids if self.register.get(i) is None]
                    if bad:
                        self.problem(
                            rule,
                            "when.sender",
                            "nicht im Korrespondentenverzeichnis: " + ", ".join(bad),
                        )
                values["sender"] = frozenset(ids)
        if "sender_kind" in raw:
            kinds = self._strings(rule, "when.sender_kind", raw["sender_kind"], allow_one=True)
            if kinds is not None:
                bad = [k for k in kinds if k not in KINDS]
                if bad:
                    self.problem(
                        rule,
                        "when.sender_kind",
                        f"unbekannte Art {', '.join(bad)} (erlaubt: {', '.join(KINDS)})",
                    )
                values["sender_kind"] = frozenset(kinds)
        for name in ("sender_regex", "reference_regex"):
            if name in raw:
                values[name] = self._regex(rule, f"when.{name}", raw[name])
        for name in ("keywords_any", "keywords_all"):
            if name in raw:
                words = self._strings(rule, f"when.{name}", raw[name], allow_one=False)
                if words is not None:
                    values[name] = tuple(_keyword(w) for w in words)
        for name in ("amount_min", "amount_below"):
            if name in raw:
                values[name] = self._amount(rule, f"when.{name}", raw[name])
        if (
            values.get("amount_min") is not None
            and values.get("amount_below") is not None
            and values["amount_min"] >= values["amount_below"]
        ):
            self.problem(rule, "when.amount_below", "muss größer sein als amount_min")
        if "routing_code" in raw:
            code = raw["routing_code"]
            if not isinstance(code, str) or not code.strip():
                self.problem(rule, "when.routing_code", f"erwartet einen Text, nicht {code!r}")
            else:
                values["routing_code"] = code.strip()
        return Conditions(**values)

    def target(self, rule: str, raw: Any) -> Target | None:
        if not isinstance(raw, dict):
            self.problem(rule, "target", "fehlt (Tabelle mit mindestens 'office')")
            return None
        for name in sorted(set(raw) - _TARGET_FIELDS):
            self.problem(
                rule,
                f"target.{name}",
                f"unbekanntes Feld (erlaubt: {', '.join(sorted(_TARGET_FIELDS))})",
            )
        values: dict[str, Any] = {}
        for name in sorted(_TARGET_FIELDS & set(raw)):
            value = raw[name]
            if not isinstance(value, str) or not value.strip():
                self.problem(rule, f"target.{name}", f"erwartet einen Text, nicht {value!r}")
                continue
            values[name] = value.strip()
        office = values.get("office")
        if office is None:
            if "office" not in raw:
                self.problem(rule, "target.office", "fehlt: jedes Ziel braucht ein Amt")
            return None
        if office not in self.offices:
            self.problem(
                rule,
                "target.office",
                f"unbekanntes Amt {office!r} (bekannt: {', '.join(self.offices)})",
            )
        plan = values.get("plan")
        if plan is not None and plan not in self.plan_codes:
            self.problem(rule, "target.plan", f"unbekannte Aktenplan-Kennziffer {plan!r}")
        if self.pattern is not None:
            for name, kind in (("case", "case"), ("file", "file")):
                ref = values.get(name)
                if ref is None:
                    continue
                parsed = self.pattern.parse(ref)
                if parsed is None or parsed.kind != kind:
                    what = "Vorgangs" if kind == "case" else "Akten"
                    self.problem(
                        rule,
                        f"target.{name}",
                        f"{ref!r} ist kein {what}-Aktenzeichen nach unserem Schema",
                    )
        process = values.get("process")
        if (
            process is not None
            and self.process_keys is not None
            and process not in self.process_keys
        ):
            self.problem(
                rule,
                "target.process",
                f"unbekannter Prozess {process!r} "
                f"(bekannt: {', '.join(sorted(self.process_keys))})",
            )
        assignee = values.get("assignee")
        if assignee is not None and self.users is not None and assignee not in self.users:
            self.problem(rule, "target.assignee", f"unbekannte Person {assignee!r}")
        return Target(**values)


def _rule_name(name: str) -> str:
    return f"Regel {name[1:]}" if name.startswith("#") else f"Regel '{name}'"


def parse_routing(
    data: Mapping[str, Any],
    *,
    offices: Mapping[str, str],
    plan_codes: Collection[str],
    process_keys: Collection[str] | None = None,
    register: CorrespondentRegister | None = None,
    reference_pattern: ReferencePattern | None = None,
    known_users: Collection[str] | None = None,
    source: str = "routing.toml",
) -> RoutingConfig:
    """Validate parsed routing TOML; raises :class:`RoutingConfigError` listing every problem."""
    v = _Validator(
        offices=offices,
        plan_codes=plan_codes,
        process_keys=process_keys,
        register=register,
        reference_pattern=reference_pattern,
        known_users=known_users,
    )
    for name in sorted(set(data) - _TOP_FIELDS):
        v.problem(None, name, f"unbekannter Eintrag (erlaubt: {', '.join(sorted(_TOP_FIELDS))})")
    threshold = data.get("review_threshold", 0.6)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not (0 <= threshold <= 1)
    ):
        v.problem(None, "review_threshold", f"erwartet eine Zahl von 0 bis 1, nicht {threshold!r}")
        threshold = 0.6
    review_office = data.get("review_office", "10.1")
    if review_office not in offices:
        v.problem(None, "review_office", f"unbekanntes Amt {review_office!r}")
    review_group = data.get("review_group")
    if review_group is not None and not isinstance(review_group, str):
        v.problem(None, "review_group", f"erwartet einen Text, nicht {review_group!r}")
        review_group = None
    default_process = data.get("default_process", DEFAULT_PROCESS)
    if not isinstance(default_process, str) or (
        process_keys is not None and default_process not in process_keys
    ):
        v.problem(None, "default_process", f"unbekannter Prozess {default_process!r}")
        default_process = DEFAULT_PROCESS
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        v.problem(None, "rule", "erwartet eine Liste von Regeln ([[rule]])")
        raw_rules = []
    rules: list[tuple[int, int, Rule]] = []
    catch_all: set[str] = set()  # rules written without any condition
    seen: set[str] = set()
    for pos, raw in enumerate(raw_rules, start=1):
        name = f"#{pos}"
        if not isinstance(raw, dict):
            v.problem(name, None, "erwartet eine Tabelle")
            continue
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            v.problem(name, "id", f"fehlt oder ist ungültig ({rule_id!r}; erlaubt: a-z, 0-9, -)")
        else:
            name = rule_id
            if rule_id in seen:
                v.problem(name, "id", "doppelt vergeben")
            if rule_id in (EXISTING_CASE_RULE, NO_RULE):
                v.problem(name, "id", "ist für die eingebaute Regel reserviert")
            seen.add(rule_id)
        for extra in sorted(set(raw) - _RULE_FIELDS):
            v.problem(name, extra, f"unbekanntes Feld (erlaubt: {', '.join(sorted(_RULE_FIELDS))})")
        description = raw.get("description", "")
        if not isinstance(description, str):
            v.problem(name, "description", "erwartet einen Text")
            description = ""
        priority = raw.get("priority", 100)
        if isinstance(priority, bool) or not isinstance(priority, int):
            v.problem(name, "priority", f"erwartet eine ganze Zahl, nicht {priority!r}")
            priority = 100
        confidence = raw.get("confidence", 0.8)
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not (0 <= confidence <= 1)
        ):
            v.problem(name, "confidence", f"erwartet eine Zahl von 0 bis 1, nicht {confidence!r}")
            confidence = 0.8
        review = raw.get("review", False)
        if not isinstance(review, bool):
            v.problem(name, "review", "erwartet true oder false")
            review = False
        if not raw.get("when"):
            catch_all.add(name)
        when = v.conditions(name, raw.get("when", {}))
        target = v.target(name, raw.get("target"))
        if target is not None and "process" not in (raw.get("target") or {}):
            target = Target(**{**asdict(target), "process": default_process})
        if target is not None:
            rule = Rule(name, description, priority, when, target, float(confidence), review)
            rules.append((priority, pos, rule))
    rules.sort(key=lambda item: (item[0], item[1]))
    ordered = tuple(rule for _, _, rule in rules)
    for i, rule in enumerate(ordered[:-1]):
        if rule.id in catch_all:
            later = ", ".join(_rule_name(r.id) for r in ordered[i + 1 :])
            v.problem(
                rule.id,
                "when",
                f"ohne Bedingungen trifft sie immer zu; danach ({later}) würde nichts mehr "
                "angewandt – priority erhöhen",
            )
    if v.problems:
        raise RoutingConfigError(source, v.problems)
    return RoutingConfig(
        rules=ordered,
        offices=dict(offices),
        review_threshold=float(threshold),
        review_office=review_office,
        review_group=review_group,
        default_process=default_process,
        register=register,
    )


def load_routing(
    path: str | Path,
    *,
    offices: Mapping[str, str],
    plan_codes: Collection[str],
    process_keys: Collection[str] | None = None,
    register: CorrespondentRegister | None = None,
    reference_pattern: ReferencePattern | None = None,
    known_users: Collection[str] | None = None,
) -> RoutingConfig:
    """Read and validate a routing.toml against the known offices, plan codes, processes."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Routing-Regeln {path} fehlen / missing") from exc
    except tomllib.TOMLDecodeError as exc:
        problem = RuleProblem(None, None, f"kein gültiges TOML: {exc}")
        raise RoutingConfigError(str(path), [problem]) from exc
    return parse_routing(
        data,
        offices=offices,
        plan_codes=plan_codes,
        process_keys=process_keys,
        register=register,
        reference_pattern=reference_pattern,
        known_users=known_users,
        source=str(path),
    )


_PROCESS_ID = re.compile(r"<(?:\w+:)?process\b[^>]*?\bid=\"([^\"]+)\"")


def load_routing_from_config(
    config_dir: str | Path | None = None, *, settings: Any = None
) -> RoutingConfig:
    """routing.toml validated against the shipped offices.toml, fileplan.toml, process models
    (config/processes/*.bpmn) and correspondents.toml of ``config_dir``; ``settings`` (default:
    the process's) give the config directory and the Aktenzeichen schemes."""
    if settings is None:
        from dms.settings import get_settings

        settings = get_settings()
    config = Path(config_dir) if config_dir is not None else Path(settings.config_dir)

    def toml(name: str) -> dict[str, Any]:
        try:
            return tomllib.loads((config / name).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{config / name} kann nicht gelesen werden: {exc}") from exc

    offices = {str(o["code"]): str(o["name"]) for o in toml("offices.toml").get("office", [])}
    plan_codes = {str(n["code"]) for n in toml("fileplan.toml").get("node", [])}
    process_keys = {
        m.group(1)
        for path in sorted((config / "processes").glob("*.bpmn"))
        for m in _PROCESS_ID.finditer(path.read_text(encoding="utf-8", errors="replace"))
    }
    register = None
    if (config / "correspondents.toml").is_file():
        from ingest.extract.correspondents import load_register

        register = load_register(config / "correspondents.toml")
    return load_routing(
        config / "routing.toml",
        offices=offices,
        plan_codes=plan_codes,
        process_keys=process_keys or None,
        register=register,
        reference_pattern=ReferencePattern.from_settings(settings, plan_codes),
    )


# -- applying the rules ------------------------------------------------------------------------


def _pct(confidence: float) -> str:
    return f" ({round(confidence * 100)} %)" if confidence < 0.8 else ""


def _match(
    rule: Rule,
    extraction: Extraction,
    doc_type: ExtractedField[str],
    folded: str,
    routing_code: str | None,
) -> tuple[float, list[str]] | None:
    """(evidence confidence, readable condition parts) when every condition holds."""
    when = rule.when
    confidence = 1.0
    parts: list[str] = []
    if when.routing_code is not None:
        if routing_code is None or routing_code.strip().casefold() != when.routing_code.casefold():
            return None
        parts.append(f"Trennblatt-Code '{when.routing_code}'")
    if when.document_type is not None:
        if doc_type.value not in when.document_type:
            return None
        confidence = min(confidence, doc_type.confidence)
        name = DOCUMENT_TYPE_NAMES.get(doc_type.value, doc_type.value)
        parts.append(f"Dokumentart {name}{_pct(doc_type.confidence)}")
    if when.sender is not None or when.sender_kind is not None or when.sender_regex is not None:
        sender = extraction.sender
        if sender is None:
            return None
        entry = sender.value.correspondent
        if when.sender is not None and (entry is None or entry.id not in when.sender):
            return None
        if when.sender_kind is not None and (entry is None or entry.kind not in when.sender_kind):
            return None
        if when.sender_regex is not None and not when.sender_regex.search(sender.value.name):
            return None
        confidence = min(confidence, sender.confidence)
        if when.sender_kind is not None and when.sender is None and entry is not None:
            kind = _KIND_NAMES.get(entry.kind, entry.kind)
            parts.append(f"Absender {sender.value.name} ({kind}){_pct(sender.confidence)}")
        else:
            parts.append(f"Absender {sender.value.name}{_pct(sender.confidence)}")
    if when.keywords_all:
        if not all(k.regex.search(folded) for k in when.keywords_all):
            return None
        words = ", ".join(f"'{k.text}'" for k in when.keywords_all)
        parts.append(f"Stichwörter {words}" if len(when.keywords_all) > 1 else f"Stichwort {words}")
    if when.keywords_any:
        hit = next((k for k in when.keywords_any if k.regex.search(folded)), None)
        if hit is None:
            return None
        parts.append(f"Stichwort '{hit.text}'")
    if when.amount_min is not None or when.amount_below is not None:
        amount = extraction.amount
        if amount is None:
            return None
        value = amount.value.value
        shown = f"{format_amount_de(value)} {amount.value.currency}"
        if when.amount_min is not None:
            if value < when.amount_min:
                return None
            parts.append(f"Betrag {shown} ≥ {format_amount_de(when.amount_min)}")
        if when.amount_below is not None:
            if value >= when.amount_below:
                return None
            parts.append(f"Betrag {shown} < {format_amount_de(when.amount_below)}")
        confidence = min(confidence, amount.confidence)
    if when.reference_regex is not None:
        hit_ref = next(
            (r for r in extraction.references if when.reference_regex.search(r.value.value)), None
        )
        if hit_ref is None:
            return None
        confidence = min(confidence, hit_ref.confidence)
        parts.append(f"Aktenzeichen {hit_ref.value.value}")
    if not parts:
        parts.append("keine Bedingung (Auffangregel)")
    return confidence, parts


def _existing_case(
    extraction: Extraction, config: RoutingConfig, case_lookup: CaseLookup
) -> tuple[RoutingDecision | None, list[str]]:
    """The built-in rule; also returns notes on our references that named no case."""
    notes: list[str] = []
    tried: set[str] = set()
    for ref in extraction.case_references:
        value = ref.value.value
        if value in tried:
            continue
        tried.add(value)
        try:
            case = case_lookup(value)
        except (NotFound, PermissionDenied):
            case = None
        if case is None:
            notes.append(f"Aktenzeichen {value} nicht gefunden")
            continue
        office = f"Amt {case.office_code}"
        what = (
            f"Vorgang {case.reference}"
            if case.sensitive or not case.title
            else (f"Vorgang '{case.title}'")
        )
        reason = f"Aktenzeichen {value} gefunden: {what} ({office})"
        confidence = ref.confidence
        if not case.is_open:
            reason += "; der Vorgang ist abgeschlossen – bitte prüfen"
            confidence = min(confidence, 0.5)
        if case.owner:
            reason += f"; Aufgabe an {case.owner}"
        file_reference = case.file_reference or ref.value.file_reference
        decision = RoutingDecision(
            office_code=case.office_code,
            case_reference=case.reference,
            file_reference=file_reference,
            plan_code=ref.value.plan_code,
            assignee=case.owner,
            candidate_group=None if case.owner else case.office_code,
            process_key=config.default_process,
            rule_id=EXISTING_CASE_RULE,
            confidence=round(confidence, 3),
            reason=reason,
            needs_review=confidence < config.review_threshold,
            case_id=case.case_id,
        )
        return decision, notes
    return None, notes


def route(
    extraction: Extraction,
    config: RoutingConfig,
    *,
    case_lookup: CaseLookup | None = None,
    routing_code: str | None = None,
    document_type: ExtractedField[str] | None = None,
) -> RoutingDecision:
    """Propose office, case/file, assignee and process for one letter, with the reason.

    ``document_type`` overrides the rule-based type of the extraction (pass the combined
    rules + classifier result); ``routing_code`` is the code of the separator sheet, if any.
    """
    if case_lookup is not None:
        decision, notes = _existing_case(extraction, config, case_lookup)
        if decision is not None:
            return decision
    else:
        notes = []
    doc_type = document_type or extraction.document_type
    folded = fold(extraction.text)
    prefix = "; ".join(notes) + "; " if notes else ""
    for rule in config.rules:
        matched = _match(rule, extraction, doc_type, folded, routing_code)
        if matched is None:
            continue
        evidence, parts = matched
        confidence = round(rule.confidence * evidence, 3)
        target = rule.target
        reason = (
            f"{prefix}Regel '{rule.id}': {', '.join(parts)} → {config.office_label(target.office)}"
        )
        if target.assignee:
            reason += f", an {target.assignee}"
        needs_review = rule.review or confidence < config.review_threshold
        if needs_review and not rule.review:
            reason += f" – unsicher ({round(confidence * 100)} %), bitte prüfen"
        return RoutingDecision(
            office_code=target.office,
            case_reference=target.case,
            file_reference=target.file,
            plan_code=target.plan,
            assignee=target.assignee,
            candidate_group=target.candidate_group,
            process_key=target.process,
            rule_id=rule.id,
            confidence=confidence,
            reason=reason,
            needs_review=needs_review,
        )
    return RoutingDecision(
        office_code=config.review_office,
        case_reference=None,
        file_reference=None,
        plan_code=None,
        assignee=None,
        candidate_group=config.review_group,
        process_key=config.default_process,
        rule_id=NO_RULE,
        confidence=0.0,
        reason=f"{prefix}Keine Regel trifft zu → {config.office_label(config.review_office)}"
        " zur Prüfung",
        needs_review=True,
    )


def services_case_lookup(ctx: Any) -> CaseLookup:
    """A :data:`CaseLookup` backed by dms.services.files for one unit of work (``ctx``).

    Run it with an actor that may see every file (the ingest worker's system actor): a
    mailroom user who cannot see a sensitive Sozialamt file would otherwise never find its
    case, and the letter would miss it. The reason then omits the title of sensitive cases.
    """
    from dms.models import User
    from dms.services.files import case_by_reference

    def lookup(reference: str) -> CaseInfo | None:
        try:
            case = case_by_reference(ctx, reference)
        except NotFound:
            return None
        owner = ctx.db.get(User, case.owner_id) if case.owner_id is not None else None
        return CaseInfo(
            case_id=case.id,
            reference=case.reference,
            office_code=case.file.office.code,
            owner=owner.username if owner is not None and owner.active else None,
            title=case.title,
            file_reference=case.file.reference,
            is_open=case.status == "open" and case.file.status == "open",
            sensitive=case.file.sensitive,
        )

    return lookup


def explain(config: RoutingConfig) -> Iterable[str]:
    """One readable line per rule, in the order they are tried (for `dms` and the admin UI)."""
    yield f"0. (eingebaut) {EXISTING_CASE_RULE}: eigenes Aktenzeichen eines bestehenden Vorgangs"
    for i, rule in enumerate(config.rules, start=1):
        yield (
            f"{i}. [{rule.priority}] {rule.id}: {rule.description or '-'} → "
            f"{config.office_label(rule.target.office)}"
        )
