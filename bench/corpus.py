"""Generated German administrative text for the benchmarks (deterministic for a given seed).

About 450 base words of the kind a district office writes (nouns, verbs, adjectives),
12,000 compounds built from pairs of nouns (with the linking "s" where German puts one),
simple inflection suffixes (~42,000 word forms in all), and function words. The compounds
make the long tail of rare terms that a real collection of 100,000 documents has. Word
frequencies follow Zipf's law over the lemmas (simple words mostly ahead of compounds); each
document also gets a handful of "topic" words that recur in it, as real letters keep
returning to their subject. Inflections are approximations (good enough for a
stemmer to fold them); the point is a realistic spread of term frequencies, not grammar.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

NOUNS = """
Antrag Bescheid Widerspruch Genehmigung Verwaltung Gemeinde Behörde Landratsamt Grundstück
Gebäude Bauvorhaben Frist Gebühr Zahlung Rechnung Mahnung Auskunft Unterlage Nachweis Vollmacht
Anhörung Stellungnahme Entscheidung Verfahren Vorschrift Satzung Verordnung Gesetz Absatz
Anlage Flurstück Gemarkung Bebauungsplan Nutzung Änderung Erweiterung Abriss Neubau Garage
Carport Dach Fassade Fenster Wand Abstand Grenze Nachbar Eigentümer Bauherr Architekt Statik
Brandschutz Rettungsweg Stellplatz Zufahrt Straße Weg Kreuzung Verkehr Fahrzeug Führerschein
Zulassung Kennzeichen Halter Ordnungswidrigkeit Bußgeld Verwarnung Geschwindigkeit Messung
Zeuge Anzeige Ermittlung Kind Familie Eltern Unterhalt Vormundschaft Pflege Betreuung Kita
Schule Leistung Sozialhilfe Grundsicherung Wohngeld Miete Heizkosten Einkommen Vermögen Rente
Bedarf Regelsatz Mehrbedarf Erstattung Rückforderung Aufhebung Bewilligung Ablehnung Zeitraum
Monat Jahr Haushalt Kasse Konto Überweisung Buchung Beleg Auftrag Vergabe Angebot Lieferung
Vertrag Kündigung Personal Stelle Bewerbung Dienst Urlaub Krankheit Sitzung Beschluss
Protokoll Tagesordnung Kreistag Ausschuss Landrat Bürger Einwohner Wohnung Anschrift Meldung
Akte Vorgang Schreiben Brief Anfrage Beschwerde Klage Gericht Urteil Rechtsmittel Rechtsbehelf
Belehrung Zustellung Bekanntgabe Termin Ortstermin Besichtigung Prüfung Gutachten Umwelt
Wasser Abwasser Abfall Lärm Immission Baum Fällung Naturschutz Denkmal Feuerwehr Rettungsdienst
Gesundheit Impfung Hygiene Lebensmittel Kontrolle Gaststätte Gewerbe Erlaubnis Konzession
Veranstaltung Markt Sondernutzung Plakat Schild Ampel Parkplatz Halteverbot Baustelle Sperrung
Umleitung Schulweg Beförderung Zuschuss Förderung Haushaltsplan Mittel Kosten Betrag Steuer
Abgabe Beitrag Erschließung Kanal Anschluss Versorgung Strom Energie Solaranlage Wärmepumpe
Heizung Sanierung Dämmung Fläche Höhe Geschoss Keller Zimmer Küche Treppe Aufzug
Barrierefreiheit Rampe Eingang Tür Schlüssel Reinigung Wartung Reparatur Schaden Versicherung
Haftung Unfall Polizei Hund Tier Tierhaltung Waffe Jagd Fischerei Wald Landwirtschaft Acker
Wiese Scheune Stall Hof Gemeinderat Ortschaft Ortsteil Kreis Bezirk Land Bund Ministerium
Regierungspräsidium Aufsicht Weisung Erlass Rundschreiben Mitteilung Hinweis Frage Antwort
Bitte Unterschrift Datum Ausgang Posteingang Aktenzeichen Sachbearbeitung Abteilung Amt
Referat Dezernat Zuständigkeit Vertretung Planung Ausschreibung Haus Garten Zaun Mauer Brücke
Spielplatz Sportplatz Halle Friedhof Bestattung Urkunde Ausweis Pass Staatsangehörigkeit
Aufenthalt Einbürgerung Ausländer Integration Sprache Kurs Arbeit Beschäftigung Betrieb
Unternehmen Handwerk Meister Ausbildung Prüfer Nachfrage Beratung Hilfe Notlage Obdach
Unterkunft Heim Einrichtung Träger Verein Spende Ehrenamt Wahl Stimme Bezirksamt Zeitung
"""

VERBS = """
beantragen genehmigen prüfen bewilligen ablehnen zahlen erstatten mitteilen übersenden vorlegen
einreichen nachreichen anhören festsetzen erheben zustellen erteilen versagen widerrufen
aufheben ändern ergänzen beantworten bearbeiten weiterleiten abgeben übernehmen beauftragen
vergeben kündigen verlängern befristen beschließen beraten informieren benachrichtigen
überprüfen kontrollieren feststellen ermitteln anordnen untersagen dulden beseitigen errichten
nutzen umbauen sanieren fördern bezuschussen gewähren leisten anrechnen berücksichtigen
begründen bestätigen bescheinigen beglaubigen unterschreiben eintragen melden abmelden
"""

ADJECTIVES = """
zuständig vollständig fristgerecht erforderlich notwendig zulässig unzulässig begründet
unbegründet rechtskräftig vorläufig endgültig öffentlich privat baulich gewerblich schriftlich
mündlich elektronisch zusätzlich monatlich jährlich einmalig laufend bisherig neu alt hoch
niedrig gering erheblich wesentlich ordnungsgemäß sofortig unverzüglich weiter gesamt
sozial rechtlich technisch finanziell örtlich kommunal staatlich behördlich amtlich
"""

# Frequent German words (many are stop words of the search and never become queries).
FUNCTION_WORDS = """
der die das und in zu den von mit für auf ist im dem nicht ein eine als auch es an werden
aus hat dass sie nach wird bei einer um noch wie einem über einen so zum zur bis durch
sowie bereits gemäß hiermit bitte wir Ihnen Ihr Ihre uns Sie kann können muss wurde sind
"""

SENDERS = [
    "Familie Hartmann", "Ingenieurbüro Keller", "Gemeinde Oberdorf", "Stadtwerke Talheim",
    "Amtsgericht Freiburg", "Rechtsanwältin Dr. Brandt", "Bauunternehmung Vogt GmbH",
    "Jobcenter Landkreis", "Regierungspräsidium Freiburg", "Herr Johannes Becker",
    "Frau Elif Yılmaz", "Autohaus Schäfer KG", "Pflegedienst Sonnenschein", "Verein Heimatpflege",
]

_LINKING_S = ("ung", "heit", "keit", "schaft", "ion", "tät", "tum", "ling")


def _noun_forms(noun: str) -> list[str]:
    if noun.endswith("e"):
        return [noun, noun + "n"]
    if noun.endswith(_LINKING_S):
        return [noun, noun + "en"]
    if noun.endswith("en"):
        return [noun, noun + "s"]
    if noun.endswith(("er", "el")):
        return [noun, noun + "s", noun + "n"]
    return [noun, noun + "s", noun + "es", noun + "e", noun + "en"]


def _verb_forms(verb: str) -> list[str]:
    stem = verb[:-1] if verb.endswith(("ln", "rn")) else verb[:-2]
    inseparable = ("be", "ver", "er", "ent", "zer", "über", "ge", "miss")
    participle = stem + "t" if stem.startswith(inseparable) else "ge" + stem + "t"
    return [verb, stem + "t", stem + "te", stem + "ten", stem + "e", participle]


def _adjective_forms(adjective: str) -> list[str]:
    return [adjective, adjective + "e", adjective + "en", adjective + "er", adjective + "es"]


def _compound(first: str, second: str) -> str:
    joint = "s" if first.endswith(_LINKING_S) else ""
    return first + joint + second.lower()


@dataclass(frozen=True)
class Vocabulary:
    """Surface forms in Zipf rank order, with cumulative weights for fast sampling."""

    content: list[str]  # rank order: content[0] is the most frequent content word
    content_cum: list[float]
    function: list[str]
    function_cum: list[float]

    def rank_of(self) -> dict[str, int]:
        return {word: rank for rank, word in enumerate(self.content)}


def build_vocabulary(
    seed: int = 20261125, compounds: int = 12000, zipf_s: float = 1.0
) -> Vocabulary:
    """Zipf over lemmas (simple words mostly ahead of compounds), split among their forms."""
    rng = random.Random(seed)
    nouns = NOUNS.split()
    pairs = list(itertools.permutations(nouns, 2))
    rng.shuffle(pairs)
    simple = [_noun_forms(n) for n in nouns]
    simple += [_verb_forms(v) for v in VERBS.split()]
    simple += [_adjective_forms(a) for a in ADJECTIVES.split()]
    compound = [_noun_forms(_compound(a, b)) for a, b in pairs[:compounds]]
    keyed = [(rng.random(), forms) for forms in simple]
    keyed += [(rng.random() * 5.0, forms) for forms in compound]
    lemmas = [forms for _, forms in sorted(keyed, key=lambda pair: pair[0])]
    weight: dict[str, float] = {}
    for rank, forms in enumerate(lemmas):
        lemma_weight = 1.0 / (rank + 3) ** zipf_s
        shares = [0.5**i for i in range(len(forms))]
        for form, share in zip(forms, shares, strict=True):
            weight[form] = weight.get(form, 0.0) + lemma_weight * share / sum(shares)
    content = sorted(weight, key=lambda form: -weight[form])
    function = FUNCTION_WORDS.split()
    function_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(function))]
    return Vocabulary(
        content,
        list(itertools.accumulate(weight[form] for form in content)),
        function,
        list(itertools.accumulate(function_weights)),
    )


class TextMaker:
    """Sentences of German-looking administrative prose, one random stream per document."""

    FUNCTION_SHARE = 0.38
    TOPIC_SHARE = 0.12

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocab = vocabulary

    def _content(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocab.content, cum_weights=self.vocab.content_cum, k=k)

    def words(self, rng: random.Random, count: int) -> list[str]:
        # Topic words recur within one document: drawn evenly from the middle ranks.
        topic = rng.sample(self.vocab.content[20:3000], 6)
        content = iter(self._content(rng, count))
        function = iter(
            rng.choices(self.vocab.function, cum_weights=self.vocab.function_cum, k=count)
        )
        out = []
        for _ in range(count):
            roll = rng.random()
            if roll < self.FUNCTION_SHARE:
                out.append(next(function))
            elif roll < self.FUNCTION_SHARE + self.TOPIC_SHARE:
                out.append(rng.choice(topic))
            else:
                out.append(next(content))
        return out

    def sentences(self, rng: random.Random, count: int) -> list[str]:
        """About `count` words as sentences, with the odd date, amount or reference."""
        words = self.words(rng, count)
        sentences, position = [], 0
        while position < len(words):
            length = rng.randint(7, 17)
            part = words[position : position + length]
            position += length
            extra = rng.random()
            if extra < 0.06:
                part.append(f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.{rng.randint(2019, 2026)}")
            elif extra < 0.10:
                part.append(f"{rng.randint(10, 9999)},{rng.randint(0, 99):02d} Euro")
            elif extra < 0.12:
                part.append(f"Az. {rng.randint(0, 799):03d}-{rng.randint(1, 99):04d}/2026")
            sentence = " ".join(part)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        return sentences

    def title(self, rng: random.Random) -> str:
        return " ".join(w[0].upper() + w[1:] for w in self._content(rng, rng.randint(2, 4)))

    def body(self, rng: random.Random, low: int = 150, high: int = 400) -> str:
        return " ".join(self.sentences(rng, rng.randint(low, high)))


def wrap(sentences: list[str], width: int = 88) -> list[str]:
    """Greedy line wrap of running text (Helvetica 11 pt on A4 holds about 90 characters)."""
    lines: list[str] = []
    line = ""
    for word in " ".join(sentences).split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines
