"""Document type by rules: weighted keyword patterns per type, and how clearly one type wins.

Each pattern counts once (a second hit adds half its weight again); the score of a type is
the sum. Confidence grows with the winning score and with its lead over the runner-up, so a
letter with "Rechnung", "Rechnungsnummer" and "USt-IdNr." is a confident invoice, and one
that mentions both "Widerspruch" and "Amtsgericht" is court mail with less certainty. A
sender from the register that is a court adds to "court".
"""

from __future__ import annotations

import math
import re

from ingest.extract.model import DOCUMENT_TYPES, Evidence, Field
from ingest.extract.text import PageMap

_U = r"(?:ä|ae|a)"  # umlauts as OCR and typists write them
_O = r"(?:ö|oe|o)"
_UE = r"(?:ü|ue|u)"
_SS = r"(?:ß|ss)"

RULES: dict[str, list[tuple[str, float]]] = {
    "invoice": [
        (r"\brechnung\b", 2.0),
        (r"\brechnungs-?\s?(?:nummer|nr)|\brechnung\s+nr", 3.0),
        (r"\bust\.?-?\s?id(?:nr|\.?-?nr)?\b|umsatzsteuer-?\s?identifikationsnummer", 2.5),
        (r"\bsteuernummer\b|\bsteuer-nr", 1.0),
        (r"\bmwst\b|\bumsatzsteuer\b|\bzzgl\.?|\bnetto\b|\bbrutto\b", 1.0),
        (rf"\bzahlbar\b|\bzahlungsziel\b|\bf{_U}llig\b|\bskonto\b", 1.0),
        (r"\bgesamtbetrag\b|\brechnungsbetrag\b|\bzu zahlen\b|\bzahlbetrag\b", 2.0),
        (r"\bleistungszeitraum\b|\blieferdatum\b|\bleistungsdatum\b|\blieferschein", 1.0),
        (r"\bkundennummer\b|\bkunden-nr\b", 0.5),
    ],
    "application": [
        (r"\bantrag\b|\bantrags?\w*", 2.0),
        (r"\bbeantrage\b|\bbeantragen\b|\bbeantragt\b|\bbeantrage hiermit", 3.0),
        (r"\bantragsteller(?:in)?\b", 2.0),
        (r"\bbauantrag\b|\bbauvoranfrage\b|\bbaugenehmigung\b", 2.0),
        (r"\bhiermit stelle(?:n)? (?:ich|wir)\b", 2.0),
        (
            r"\bbitte(?:n)? (?:ich|wir)? ?um (?:die )?(?:genehmigung|erteilung|bewilligung|gew"
            + _U
            + r"hrung)",
            2.0,
        ),
        (r"\bantragsformular\b|\bvordruck\b|\bunterlagen (?:liegen|sind) bei|\banlagen?:", 1.0),
    ],
    "objection": [
        (r"\bwiderspruch\b", 3.0),
        (r"\bleg(?:e|en)\b(?:\s+\S+){0,12}?\s+widerspruch\s+ein\b", 4.0),
        (r"\bwiderspreche\b|\bwidersprechen\b", 3.0),
        (r"\beinspruch\b", 2.0),
        (r"\bleg(?:e|en)\b(?:\s+\S+){0,12}?\s+einspruch\s+ein\b", 3.0),
        (r"\bbescheid vom\b|\bgegen den bescheid\b|\bgegen ihren bescheid\b", 1.5),
        (r"\bfristgerecht\b|\bfristwahrend\b|\bbegr" + _UE + r"ndung (?:folgt|reiche)", 1.0),
        (r"\bbeschwerde\b|\bnicht einverstanden\b|\baufzuheben\b|\baufhebung\b", 1.0),
    ],
    "court": [
        (
            r"\bamtsgericht\b|\bverwaltungsgericht\b|\blandgericht\b|\bsozialgericht\b|"
            r"\boberlandesgericht\b|\bverwaltungsgerichtshof\b|\bfinanzgericht\b|"
            r"\barbeitsgericht\b",
            3.0,
        ),
        (r"\bbeschluss\b|\bbeschlie" + _SS + r"t\b", 2.0),
        (r"\burteil\b", 2.0),
        (r"\bladung\b|\bgeladen\b|\btermin zur m" + _UE + r"ndlichen verhandlung", 2.5),
        (r"\bgesch" + _U + r"ftsnummer\b", 2.0),
        (r"\bim namen des volkes\b", 4.0),
        (
            r"\bverwaltungsrechtssache\b|\bverwaltungsstreitsache\b|\bin dem rechtsstreit\b|"
            r"\brechtssache\b|\bklageverfahren\b|\bstreitsache\b",
            3.0,
        ),
        (r"\bkl" + _U + r"ger(?:in)?\b|\bbeklagte[rn]?\b|\bbeigeladene\b|\bprozessbevollm", 1.5),
        (r"\bklage\b|\bkammer\b|\bvorsitzende[r]? richter|\bgesch" + _U + r"ftsstelle\b", 1.0),
        (r"\burkundsbeamt", 1.5),
    ],
    "advertising": [
        (r"\bangebot\b|\bangebote\b", 1.0),
        (r"\bnewsletter\b", 3.0),
        (
            r"\brabatt\b|\bnachlass\b|\bprozent sparen|\b[0-9]{1,2} ?% (?:rabatt|sparen|g"
            + _UE
            + r"nstiger)",
            2.0,
        ),
        (r"\babbestellen\b|\babmelden\b|\bkeine werbung\b|\bwerbung\b|\bwerbe", 3.0),
        (
            r"\bsonderaktion\b|\baktionspreis\b|\bgratis\b|\bkostenlos(?:e|en)? (?:testen|probe)|"
            r"\bjetzt bestellen\b|\bjetzt zugreifen\b|\bnur f" + _UE + r"r kurze zeit\b",
            2.0,
        ),
        (
            r"\bexklusiv\b|\bneukunden\b|\bvorteilspreis\b|\bgutschein(?:code)?\b|"
            r"\bunverbindlich(?:es)?\b",
            1.5,
        ),
        (r"\bprodukt(?:e|neuheit)|\bkatalog\b|\bmesse\b|\bdemo-?termin\b", 1.0),
    ],
}
_COMPILED = {
    kind: [(re.compile(pattern, re.I), weight) for pattern, weight in rules]
    for kind, rules in RULES.items()
}
OTHER_CONFIDENCE = 0.3


def type_scores(text: str) -> tuple[dict[str, float], dict[str, list[tuple[int, int]]]]:
    """Raw score per type and the spans of the patterns that hit."""
    scores: dict[str, float] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for kind, rules in _COMPILED.items():
        total = 0.0
        hits: list[tuple[int, int]] = []
        for regex, weight in rules:
            matches = list(regex.finditer(text))
            if matches:
                total += weight * (1.5 if len(matches) > 1 else 1.0)
                hits.extend(m.span() for m in matches[:3])
        scores[kind] = total
        spans[kind] = sorted(hits)
    return scores, spans


def classify_by_rules(
    text: str, pages: PageMap | None = None, *, sender_kind: str | None = None
) -> tuple[Field[str], dict[str, float]]:
    """(type with confidence and evidence, score per type)."""
    scores, spans = type_scores(text)
    if sender_kind == "court":
        scores["court"] += 3.0
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (top, best), (_, second) = ranked[0], ranked[1]
    if best <= 0:
        return Field("other", OTHER_CONFIDENCE), scores
    strength = 1 - math.exp(-best / 4)
    margin = (best - second) / best
    confidence = round(strength * (0.45 + 0.55 * margin), 3)
    if confidence < 0.2:
        return Field("other", OTHER_CONFIDENCE), scores
    pages = pages or PageMap(text, None)
    evidence: tuple[Evidence, ...] = tuple(pages.evidence(s, e) for s, e in spans[top][:5])
    return Field(top, confidence, evidence), scores


assert set(RULES) | {"other"} == set(DOCUMENT_TYPES)
