"""Sample letters as Tesseract reads them (German, with OCR noise), and a noise generator.

"Today" for all of them is 5 November 2026 (``TODAY``).
"""

from __future__ import annotations

import random
from datetime import date

TODAY = date(2026, 11, 5)

BAU_STELLUNGNAHME = """\
Gemeinde 0berdorf · Rathausplatz 1 · 79100 Oberdorf

Landratsamt Musterkreis
Bauordnungsamt
Kreishausstraße 1
79110 Lindenau

Ihr Zeichen: 6OO-OOO1/2O26-O1          Unser Zeichen: BA-2026/117
                                        Oberdorf, den 03.11.2026

Bauantrag Lindenweg 12 - Stellungnahme der Gemeinde

Sehr geehrte Damen und Herren,

zum Bauantrag vom 12.10.2026 erteilen wir das gemeindliche Einvernehmen nach
§ 36 BauGB. Bitte teilen Sie uns bis zum 30.11.2026 mit, ob weitere Unterlagen
benötigt werden.

Mit freundlichen Grüßen

Müller
Bürgermeister

Sparkasse Lindenau-Oberdorf  IBAN: DE44 5OO1 0517 5407 3249 31  BIC: SOLADES1LIN
"""

INVOICE = """\
Schreiber GmbH Bürobedarf
Industriestraße 8 · 79110 Lindenau
Schreiber GmbH · Industriestraße 8 · 79110 Lindenau

Landratsamt Musterkreis
Kreiskasse
Kreishausstraße 1
79110 Lindenau
                                           Rechnungsdatum: 28.1O.2026
                                           Kundennummer: K-40711
RECHNUNG
Rechnungsnummer: RE-2026-1187
Lieferdatum: 21.10.2026

Pos. Menge Bezeichnung                      Einzelpreis     Gesamt
1    20    Kopierpapier A4, 500 Blatt          4,20 €      84,00 €
2    40    Ordner breit                        2,35 €      94,00 €
3    6     Toner schwarz                     150,00 €     900,00 €

Summe netto                                            1.050,00 EUR
zzgl. 19 % MwSt.                                         199,50 EUR
Gesamtbetrag                                           1.249,5O EUR

Zahlbar innerhalb von 30 Tagen ohne Abzug bis zum 27.11.2026.

Schreiber GmbH · Geschäftsführer: Hans Schreiber · USt-IdNr.: DE123456789
Bankverbindung: Sparkasse Lindenau-Oberdorf · IBAN DE02 1203 0000 0000 2020 5l · BIC SOLADES1LIN
"""

OBJECTION = """\
Karl Krause
Am Mühlbach 7
79100 Oberdorf

Landratsamt Musterkreis
Sozialamt
Kreishausstraße 1
79110 Lindenau

Oberdorf, 2. November 2026

Widerspruch gegen den Bescheid vom 14.10.2026
Aktenzeichen: 401-0012/2026-03

Sehr geehrte Damen und Herren,

gegen Ihren Bescheid vom 14.10.2026 über die Leistungen der Grundsicherung im
Alter lege ich hiermit fristgerecht Widerspruch ein. Die Kosten der Unterkunft
wurden nicht in voller Höhe anerkannt. Eine Begründung reiche ich nach.

Mit freundlichen Grüßen

Karl Krause
"""

COURT = """\
Verwaltungsgericht Freiburg
Habsburgerstraße 103, 79104 Freiburg im Breisgau

Verwaltungsgericht Freiburg · Postfach · 79095 Freiburg

Landratsamt Musterkreis
- Rechtsamt -
Kreishausstraße 1
79110 Lindenau
                                     Geschäftsnummer: 4 K 1234/26
                                     Ihr Zeichen: 600-0007/2025-02
                                     Freiburg, 02.11.2026

In der Verwaltungsrechtssache
Hartmann, Jan ./. Landkreis Musterkreis
wegen Baugenehmigung

Ladung zum Termin zur mündlichen Verhandlung

Sehr geehrte Damen und Herren,

in der oben bezeichneten Sache werden Sie zum Termin zur mündlichen Verhandlung
am Dienstag, 12.01.2027, 10:00 Uhr, Saal 2, geladen.
Der Schriftsatz vom 20.10.2026 ist beigefügt.

Auf Anordnung
Meier, Urkundsbeamtin der Geschäftsstelle
"""

ADVERTISING = """\
Büroversand Direkt GmbH · Postfach 11 22 · 33602 Bielefeld

An die Poststelle
Landratsamt Musterkreis
Kreishausstraße 1
79110 Lindenau

Nur für kurze Zeit: 20 % Rabatt auf alle Ordner!

Sehr geehrte Damen und Herren,

als Neukunde erhalten Sie unser exklusives Angebot: Kopierpapier ab 2,99 € und
gratis Versand ab 50,00 EUR Bestellwert. Jetzt bestellen unter www.buerodirekt.de
mit dem Gutscheincode HERBST26.

Sie möchten keine Werbung mehr erhalten? Newsletter hier abbestellen.
"""

APPLICATION = """\
Aylin Demir · Schillerstraße 9 · 79135 Bergheim an der Lauter

Landratsamt Musterkreis
Sozialamt - Wohngeldstelle
Kreishausstraße 1
79110 Lindenau

Bergheim, 01.11.26

Antrag auf Wohngeld (Mietzuschuss)

Sehr geehrte Damen und Herren,

hiermit beantrage ich Wohngeld ab dem 01.12.2026. Meine Miete beträgt
monatlich 780,00 EUR warm. Die Verdienstbescheinigungen meines Arbeitgebers und
der Mietvertrag liegen bei.

Mit freundlichen Grüßen
Aylin Demir
"""

BUSSGELD_EINSPRUCH = """\
Thomas Reinhardt
Gartenweg 5
79128 Waldbach

Landratsamt Musterkreis
Straßenverkehrsamt - Bußgeldstelle
79110 Lindenau

Waldbach, den 4.11.2026

Ihr Az.: 703-0219/2026
Einspruch gegen den Bußgeldbescheid vom 20.10.2026

Sehr geehrte Damen und Herren,

gegen den oben genannten Bußgeldbescheid lege ich Einspruch ein. Ich war zum
angegebenen Zeitpunkt nicht der Fahrer des Fahrzeugs.

Mit freundlichen Grüßen
Thomas Reinhardt
"""

HEADER_ROW = """\
Gebr. Kaiser Bauunternehmung GmbH & Co. KG
Gewerbepark 12 · 79128 Waldbach

Landratsamt Musterkreis
Bauordnungsamt
79110 Lindenau

Ihr Zeichen, Ihre Nachricht vom   Unser Zeichen   Telefon   Datum
600-0001/2026-01, 15.10.2026   KB-77/26   07661 1234   03.11.2026

Baubeginnsanzeige Lindenweg 12

Sehr geehrte Frau Müller,

hiermit zeigen wir den Baubeginn für das Bauvorhaben Lindenweg 12 am 16.11.2026 an.

Mit freundlichen Grüßen
Kaiser
"""

AMTSGERICHT = """\
Amtsgericht Lindenau
- Vollstreckungsgericht -
Gerichtsstraße 4, 79110 Lindenau

Landratsamt Musterkreis
Kreiskasse
79110 Lindenau

Aktenzeichen: 2 M 345/26                                    29.10.2026

Beschluss

In der Zwangsvollstreckungssache Landkreis Musterkreis gegen Vogel, Hans-Peter
wird der Antrag auf Erlass eines Pfändungs- und Überweisungsbeschlusses zurückgewiesen.

Lindenau, 29.10.2026
Amtsgericht Lindenau
Richter am Amtsgericht Brandt
"""

ALL = {
    "bau_stellungnahme": BAU_STELLUNGNAHME,
    "invoice": INVOICE,
    "objection": OBJECTION,
    "court": COURT,
    "advertising": ADVERTISING,
    "application": APPLICATION,
    "bussgeld_einspruch": BUSSGELD_EINSPRUCH,
    "header_row": HEADER_ROW,
    "amtsgericht": AMTSGERICHT,
}

# -- OCR noise ------------------------------------------------------------------------------

_SWAPS = {
    "0": "O", "O": "0", "1": "l", "l": "1", "I": "l", "rn": "m", "m": "rn", "g": "q",
    "e": "c", "ü": "u", "ä": "a", "ö": "o", "ß": "B", "i": "í", "S": "5",
}  # fmt: skip


def ocr_noise(text: str, rng: random.Random, rate: float = 0.02) -> str:
    """Character confusions, dropped and doubled blanks as Tesseract makes them."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _SWAPS and rng.random() < rate:
            out.append(_SWAPS[pair])
            i += 2
            continue
        char = text[i]
        roll = rng.random()
        if char in _SWAPS and roll < rate:
            out.append(_SWAPS[char])
        elif char == " " and roll < rate / 2:
            out.append("  ")
        elif char.isalnum() and roll < rate / 4:
            out.append(char + " ")
        else:
            out.append(char)
        i += 1
    return "".join(out)
