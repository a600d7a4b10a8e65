"""A synthetic but varied corpus of German incoming letters, labelled by document type.

Each class has several templates (different kinds of letters of that type), slots filled
from word lists, optional sentences, shared boilerplate (addresses, greetings) and
deliberate confusers (an objection that mentions "Antrag", an advertisement that offers
"Kauf auf Rechnung", court mail about a "Widerspruchsbescheid", an ordinary letter with a
date and an amount), and a share of the letters gets OCR noise. Deterministic per seed.
"""

from __future__ import annotations

import random

from tests.ingest_rules.letters import ocr_noise

FIRST = [
    "Karl",
    "Maria",
    "Jan",
    "Lea",
    "Aylin",
    "Thomas",
    "Sabine",
    "Mehmet",
    "Olga",
    "Peter",
    "Hannah",
    "Lukas",
    "Fatma",
    "Jürgen",
    "Ingrid",
    "Stefan",
    "Nina",
    "Dieter",
]
LAST = [
    "Krause",
    "Hartmann",
    "Demir",
    "Vogel",
    "Schulz",
    "Becker",
    "Wagner",
    "Yilmaz",
    "Neumann",
    "Fischer",
    "Braun",
    "Kowalski",
    "Hoffmann",
    "Schäfer",
    "Keller",
    "Roth",
]
STREETS = [
    "Lindenweg",
    "Am Mühlbach",
    "Schillerstraße",
    "Bergstraße",
    "Heidestraße",
    "Gartenweg",
    "Kirchgasse",
    "Hauptstraße",
    "Am Sonnenhang",
    "Bahnhofstraße",
]
TOWNS = [
    ("79100", "Oberdorf"),
    ("79110", "Lindenau"),
    ("79128", "Waldbach"),
    ("79135", "Bergheim an der Lauter"),
    ("79140", "Steinfeld"),
]
COMPANIES = [
    "Schreiber GmbH",
    "Systemhaus Lauter GmbH",
    "Gebr. Kaiser Bau GmbH & Co. KG",
    "Energieversorgung Oberdorf GmbH",
    "Druckerei Weiß KG",
    "Autohaus Berger GmbH",
    "Gärtnerei Blum",
    "Reinigungsservice Sauber & Co.",
    "Ingenieurbüro Feld",
    "Büroversand Direkt GmbH",
    "Möbelhaus Lindner",
    "Heizungsbau Ernst GmbH",
]
ITEMS = [
    "Kopierpapier",
    "Toner",
    "Ordner",
    "Büromöbel",
    "Reinigungsleistungen",
    "Wartung der Heizungsanlage",
    "Softwarelizenzen",
    "Winterdienst",
    "Druck von Flyern",
    "Laptops",
    "Grünpflege",
    "Schulungsleistungen",
    "Gutachten",
    "Streusalz",
]
MATTERS = [
    "Grundsicherung im Alter",
    "Wohngeld",
    "Sozialhilfe",
    "Elterngeld",
    "Hilfe zur Pflege",
    "Eingliederungshilfe",
    "Kita-Gebühren",
    "Abfallgebühren",
    "Baugenehmigung",
    "Fahrerlaubnis",
    "Bußgeld",
    "Hundesteuer",
    "Kfz-Zulassung",
]
COURTS = [
    "Amtsgericht Lindenau",
    "Amtsgericht Bergheim",
    "Verwaltungsgericht Freiburg",
    "Sozialgericht Freiburg",
    "Landgericht Freiburg",
    "Verwaltungsgerichtshof Mannheim",
]
PRODUCTS = [
    "Bürostühle",
    "Multifunktionsdrucker",
    "Aktenvernichter",
    "Kaffeeautomaten",
    "Fachbücher",
    "Seminare",
    "Software für Behörden",
    "Streufahrzeuge",
    "Trinkwasserspender",
]
GREETINGS = [
    "Mit freundlichen Grüßen",
    "Mit freundlichem Gruß",
    "Freundliche Grüße",
    "Hochachtungsvoll",
    "Viele Grüße",
]
SALUTATIONS = ["Sehr geehrte Damen und Herren,", "Sehr geehrte Frau Müller,",
               "Sehr geehrter Herr Weber,", "Guten Tag,"]  # fmt: skip


def _person(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    postcode, town = rng.choice(TOWNS)
    return name, f"{rng.choice(STREETS)} {rng.randint(1, 60)}\n{postcode} {town}"


def _date(rng: random.Random) -> str:
    d, m = rng.randint(1, 28), rng.randint(1, 12)
    return rng.choice([f"{d:02d}.{m:02d}.2026", f"{d}.{m}.26", f"{d}. {_MONTHS[m - 1]} 2026"])


_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"]  # fmt: skip


def _amount(rng: random.Random) -> str:
    value = rng.randint(500, 2_000_000) / 100
    whole, cents = f"{value:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups) + "," + cents
    return rng.choice([f"{text} EUR", f"{text} €", f"€ {text}", f"EUR {text}"])


def _pick(rng: random.Random, *sentences: str, k: tuple[int, int] = (1, 3)) -> str:
    count = min(len(sentences), rng.randint(*k))
    return " ".join(rng.sample(list(sentences), count))


def _head(rng: random.Random, sender: str, address: str) -> str:
    office = rng.choice(["", "Sozialamt\n", "Bauordnungsamt\n", "Kreiskasse\n", "Poststelle\n",
                         "Straßenverkehrsamt\n"])  # fmt: skip
    return (
        f"{sender}\n{address}\n\nLandratsamt Musterkreis\n{office}Kreishausstraße 1\n"
        f"79110 Lindenau\n\n{rng.choice(TOWNS)[1]}, {_date(rng)}\n\n"
    )


def _invoice(rng: random.Random) -> str:
    company = rng.choice(COMPANIES)
    item = rng.choice(ITEMS)
    number = f"{rng.choice(['RE', 'R', '2026-', 'INV'])}{rng.randint(100, 99999)}"
    body = rng.choice(
        [
            f"Rechnung Nr. {number}\n\nfür die Lieferung von {item} berechnen wir Ihnen:",
            f"RECHNUNG\nRechnungsnummer: {number}\nLeistungszeitraum: {_date(rng)}\n{item}",
            f"Rechnung {number}\nWir erlauben uns, für {item} wie folgt abzurechnen:",
            f"Schlussrechnung Nr. {number}\nBauvorhaben Kreisstraße, Leistung: {item}",
            f"Abschlagsrechnung {number}\nGemäß Auftrag vom {_date(rng)} für {item}.",
            f"Rechnung Nr. {number} zu Ihrer Bestellung vom {_date(rng)}: {item}",
        ]
    )
    lines = [
        f"Nettobetrag {_amount(rng)}",
        f"zzgl. 19 % MwSt. {_amount(rng)}",
        f"{rng.choice(['Gesamtbetrag', 'Rechnungsbetrag', 'Zu zahlen', 'Endbetrag'])} "
        f"{_amount(rng)}",
    ]
    extra = _pick(
        rng,
        "Zahlbar innerhalb von 14 Tagen ohne Abzug.",
        "Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer.",
        "Bei Zahlung innerhalb von 10 Tagen gewähren wir 2 % Skonto.",
        f"USt-IdNr.: DE{rng.randint(100000000, 999999999)}",
        f"Steuernummer {rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(1000, 9999)}",
        "Vielen Dank für Ihren Auftrag.",
        "Lieferschein liegt bei.",
        "Das Zahlungsziel beträgt 30 Tage.",
    )
    return (
        f"{company}\nGewerbepark {rng.randint(1, 30)}\n\n{body}\n"
        + "\n".join(lines)
        + (f"\n{extra}\n\nIBAN DE{rng.randint(10, 99)} 6805 0101 0012 3456 78\n")
    )


def _application(rng: random.Random) -> str:
    name, address = _person(rng)
    matter = rng.choice(MATTERS)
    body = rng.choice(
        [
            f"Antrag auf {matter}\n\nhiermit beantrage ich Leistungen ({matter}) ab dem "
            f"{_date(rng)}.",
            f"Bauantrag\n\nhiermit stellen wir den Antrag auf Baugenehmigung für den Neubau "
            f"eines Einfamilienhauses, {rng.choice(STREETS)} {rng.randint(1, 40)}.",
            f"Antrag auf Erteilung einer Fahrerlaubnis der Klasse {rng.choice(['B', 'BE', 'C1'])}"
            f"\n\nich bitte um Erteilung der Fahrerlaubnis.",
            f"Antrag auf Zulassung eines Fahrzeugs\n\nich beantrage die Zulassung meines "
            f"Fahrzeugs, Fahrgestellnummer WVW{rng.randint(100000, 999999)}.",
            f"Bauvoranfrage\n\nwir bitten um Erteilung eines Bauvorbescheids für das Grundstück "
            f"Flurstück {rng.randint(100, 999)}/{rng.randint(1, 9)}.",
            f"Antrag auf Verlängerung\n\nich beantrage die Verlängerung der Bewilligung für "
            f"{matter}.",
            "Wohngeldantrag\n\nanbei übersende ich den ausgefüllten Antrag auf Wohngeld "
            "(Mietzuschuss) und bitte um Bewilligung.",
        ]
    )
    extra = _pick(
        rng,
        "Die erforderlichen Unterlagen liegen bei.",
        "Das Antragsformular habe ich vollständig ausgefüllt.",
        "Anlagen: Lageplan, Bauzeichnungen, Baubeschreibung.",
        "Kopien der Kontoauszüge und des Mietvertrags füge ich bei.",
        f"Mein monatliches Einkommen beträgt {_amount(rng)}.",
        "Für Rückfragen stehe ich gerne zur Verfügung.",
        "Ich bitte um eine Eingangsbestätigung.",
        "Sollten Unterlagen fehlen, bitte ich um kurze Nachricht.",
    )
    return (
        _head(rng, name, address)
        + f"{body}\n\n{rng.choice(SALUTATIONS)}\n{extra}\n\n"
        + (f"{rng.choice(GREETINGS)}\n{name}\n")
    )


def _objection(rng: random.Random) -> str:
    name, address = _person(rng)
    matter = rng.choice(MATTERS)
    when = _date(rng)
    body = rng.choice(
        [
            f"Widerspruch gegen den Bescheid vom {when}\n\ngegen Ihren Bescheid vom {when} "
            f"lege ich hiermit Widerspruch ein.",
            f"Widerspruch\n\nhiermit widerspreche ich dem Bescheid über {matter} vom {when}.",
            f"Einspruch gegen den Bußgeldbescheid vom {when}\n\ngegen den Bußgeldbescheid lege "
            f"ich Einspruch ein. Ich war nicht der Fahrer.",
            f"Widerspruch - {matter}\n\nmit dem Bescheid vom {when} bin ich nicht einverstanden "
            f"und lege fristgerecht Widerspruch ein.",
            f"Widerspruch gegen die Ablehnung meines Antrags\n\nIhr Bescheid vom {when} lehnt "
            f"meinen Antrag auf {matter} ab. Dagegen erhebe ich Widerspruch.",
            f"Widerspruch gegen Gebührenbescheid\n\nden Gebührenbescheid vom {when} halte ich "
            f"für rechtswidrig und widerspreche ihm.",
        ]
    )
    extra = _pick(
        rng,
        "Die Begründung reiche ich innerhalb von vier Wochen nach.",
        "Ich beantrage, den Bescheid aufzuheben.",
        "Die Berechnung ist fehlerhaft, da mein Einkommen falsch angesetzt wurde.",
        "Ich bitte um Akteneinsicht.",
        "Zugleich beantrage ich die Aussetzung der Vollziehung.",
        "Der Widerspruch erfolgt fristwahrend.",
        "Ich bitte um Bestätigung des Eingangs meines Widerspruchs.",
    )
    return (
        _head(rng, name, address)
        + f"{body}\n\n{rng.choice(SALUTATIONS)}\n{extra}\n\n"
        + (f"{rng.choice(GREETINGS)}\n{name}\n")
    )


def _court(rng: random.Random) -> str:
    court = rng.choice(COURTS)
    number = f"{rng.randint(1, 12)} {rng.choice(['K', 'C', 'M', 'S', 'O'])} "
    number += f"{rng.randint(10, 4000)}/{rng.choice(['25', '26'])}"
    name = f"{rng.choice(LAST)}, {rng.choice(FIRST)}"
    body = rng.choice(
        [
            f"In der Verwaltungsrechtssache\n{name} ./. Landkreis Musterkreis\nwegen "
            f"{rng.choice(MATTERS)}\n\nwird Termin zur mündlichen Verhandlung bestimmt. "
            f"Sie werden hiermit geladen.",
            f"Beschluss\n\nIn dem Rechtsstreit {name} gegen Landkreis Musterkreis wird der "
            f"Streitwert festgesetzt.",
            f"Urteil\n\nIm Namen des Volkes\n\nIn der Verwaltungsstreitsache {name} gegen den "
            f"Landkreis Musterkreis wegen Widerspruchsbescheid wird die Klage abgewiesen.",
            f"Ladung\n\nIn der Sache {name} werden Sie zum Termin am {_date(rng)} geladen. "
            f"Das persönliche Erscheinen wird angeordnet.",
            f"Verfügung\n\nIn dem Klageverfahren {name} ./. Landkreis Musterkreis wird der "
            f"Beklagte gebeten, die Verwaltungsakten vorzulegen.",
            f"Beschluss\n\nIn der Zwangsvollstreckungssache Landkreis Musterkreis gegen {name} "
            f"wird der Pfändungs- und Überweisungsbeschluss erlassen.",
        ]
    )
    extra = _pick(
        rng,
        "Die Klageschrift ist beigefügt.",
        "Eine Stellungnahme wird binnen vier Wochen erbeten.",
        "Gegen diesen Beschluss ist die Beschwerde statthaft.",
        "Der Kläger ist durch seinen Prozessbevollmächtigten vertreten.",
        "Die Kammer hat den Rechtsstreit dem Einzelrichter übertragen.",
        "Auf Anordnung des Vorsitzenden.",
        "Urkundsbeamtin der Geschäftsstelle",
    )
    return (
        f"{court}\nGeschäftsstelle\n\nLandratsamt Musterkreis\nRechtsamt\n79110 Lindenau\n\n"
        f"Geschäftsnummer: {number}\n{rng.choice(TOWNS)[1]}, {_date(rng)}\n\n{body}\n{extra}\n"
    )


def _advertising(rng: random.Random) -> str:
    company = rng.choice(COMPANIES)
    product = rng.choice(PRODUCTS)
    body = rng.choice(
        [
            f"Exklusiv für Behörden: {product} zum Aktionspreis!\n\nnur für kurze Zeit erhalten "
            f"Sie {rng.randint(10, 50)} % Rabatt auf unser gesamtes Sortiment.",
            f"Unser Angebot des Monats: {product}\n\nJetzt bestellen und sparen! Versand gratis "
            f"ab {_amount(rng)}.",
            f"Newsletter {rng.choice(_MONTHS)} 2026\n\nEntdecken Sie unsere Neuheiten: {product}. "
            f"Besuchen Sie uns auf der Messe.",
            f"Einladung zur kostenlosen Produktvorführung\n\nlernen Sie unsere {product} kennen "
            f"- unverbindlich und kostenlos testen.",
            f"Sonderaktion für Neukunden\n\nMit dem Gutscheincode HERBST{rng.randint(10, 99)} "
            f"erhalten Sie {product} zum Vorteilspreis. Bequemer Kauf auf Rechnung.",
            f"Katalog 2027\n\nanbei erhalten Sie unseren neuen Katalog mit {product} zu "
            f"attraktiven Preisen.",
        ]
    )
    extra = _pick(
        rng,
        "Sie möchten keine Werbung mehr erhalten? Hier abbestellen.",
        "Newsletter abmelden: www.beispiel.de/abmelden",
        "Solange der Vorrat reicht.",
        "Alle Preise zzgl. MwSt.",
        "Rufen Sie uns an - wir beraten Sie gerne!",
        "Dieses Angebot ist gültig bis zum Jahresende.",
    )
    return f"{company}\n\nAn die Poststelle\nLandratsamt Musterkreis\n\n{body}\n{extra}\n"


def _other(rng: random.Random) -> str:
    name, address = _person(rng)
    body = rng.choice(
        [
            f"Mitteilung einer Adressänderung\n\nich teile Ihnen mit, dass ich ab dem "
            f"{_date(rng)} unter folgender Anschrift wohne: {rng.choice(STREETS)} "
            f"{rng.randint(1, 50)}.",
            "Terminanfrage\n\nich bitte um einen Gesprächstermin mit Frau Müller in der "
            "kommenden Woche.",
            "Dank für die gute Zusammenarbeit\n\nwir möchten uns herzlich für die freundliche "
            "Unterstützung bei der Veranstaltung bedanken.",
            f"Einladung zum Jahresempfang\n\nder Ortschaftsrat lädt Sie herzlich zum Empfang am "
            f"{_date(rng)} ins Bürgerhaus ein.",
            "Anfrage zur Müllabfuhr\n\nin unserer Straße wurde die Biotonne seit zwei Wochen "
            "nicht geleert. Können Sie das bitte prüfen?",
            "Nachreichung von Unterlagen\n\nwie telefonisch besprochen übersende ich die "
            "fehlende Kopie meines Personalausweises.",
            "Information zur Straßensperrung\n\nwegen Bauarbeiten ist die Ortsdurchfahrt in "
            "der nächsten Woche gesperrt; die Umleitung ist ausgeschildert.",
            "Bitte um Auskunft\n\nich möchte wissen, welche Öffnungszeiten die Zulassungsstelle "
            "zwischen den Feiertagen hat.",
            "Kündigung der Mitgliedschaft\n\nhiermit teile ich mit, dass ich zum Jahresende "
            "aus dem Förderverein ausscheide.",
            f"Sachstandsanfrage\n\nmein Antrag vom {_date(rng)} ist noch nicht bearbeitet. "
            f"Wann darf ich mit einer Entscheidung rechnen?",
            f"Zahlungsnachweis\n\ndie Rechnung vom {_date(rng)} über {_amount(rng)} habe ich "
            f"bereits überwiesen; den Kontoauszug lege ich bei.",
            f"Rücknahme meines Widerspruchs\n\nnach dem Gespräch mit Ihrer Mitarbeiterin nehme "
            f"ich meinen Widerspruch vom {_date(rng)} zurück.",
            "Beschwerde über die Wartezeit\n\nich musste in der Zulassungsstelle drei Stunden "
            "warten. Das ist nicht hinnehmbar.",
        ]
    )
    extra = _pick(
        rng,
        "Für Rückfragen stehe ich gerne zur Verfügung.",
        "Vielen Dank im Voraus.",
        "Ich freue mich auf Ihre Antwort.",
        "Eine Kopie erhält das Bürgermeisteramt.",
        f"Telefonisch erreichen Sie mich unter 0761 {rng.randint(100000, 999999)}.",
    )
    return (
        _head(rng, name, address)
        + f"{body}\n\n{rng.choice(SALUTATIONS)}\n{extra}\n\n"
        + (f"{rng.choice(GREETINGS)}\n{name}\n")
    )


MAKERS = {
    "invoice": _invoice,
    "application": _application,
    "objection": _objection,
    "court": _court,
    "advertising": _advertising,
    "other": _other,
}


def _short(label: str, rng: random.Random) -> str:
    """Only the core of a letter (a scan of the second page, a fax, a note)."""
    text = MAKERS[label](rng)
    lines = [line for line in text.splitlines() if len(line.split()) >= 4]
    return "\n".join(rng.sample(lines, min(len(lines), rng.randint(1, 3))))


def make_corpus(
    per_class: int = 60, *, seed: int = 7, noisy_share: float = 0.4, short_share: float = 0.25
) -> list[tuple[str, str]]:
    """``per_class`` letters of each document type; a share of them cut down to a few lines
    of their body, a share with OCR noise."""
    rng = random.Random(seed)
    examples = []
    for label, make in MAKERS.items():
        for _ in range(per_class):
            text = _short(label, rng) if rng.random() < short_share else make(rng)
            if rng.random() < noisy_share:
                text = ocr_noise(text, rng, rate=rng.uniform(0.01, 0.08))
            examples.append((text, label))
    rng.shuffle(examples)
    return examples
