"""Usage profile from the specification identifier (BT-24), and what it means under German law.

Since 1 January 2025 an e-invoice under § 14 UStG is a structured invoice that conforms to
EN 16931 (or an interoperable format). ZUGFeRD/Factur-X MINIMUM and BASIC WL carry no invoice
lines and are not EN 16931 compliant; ZUGFeRD 1.0 predates EN 16931. They are read, but the
finance clerk is told plainly that they are not e-invoices in the sense of the law.
"""

from __future__ import annotations

from ingest.einvoice.model import Profile

NOT_EINVOICE_NO_LINES = (
    "Das Profil {profile} enthält keine Rechnungspositionen und gilt seit 2025 nicht als"
    " E-Rechnung im Sinne des § 14 UStG. Die Angaben wurden gelesen, ersetzen aber keine"
    " E-Rechnung: Bitte beim Rechnungssteller eine E-Rechnung (XRechnung oder ZUGFeRD ab Profil"
    " BASIC) anfordern bzw. die Rechnung als sonstige Rechnung behandeln."
    " / The profile {profile} carries no invoice lines and, since 2025, is not an e-invoice"
    " under section 14 of the German VAT Act (UStG). Its data was read but does not replace an"
    " e-invoice: ask the supplier for an e-invoice (XRechnung, or ZUGFeRD BASIC or higher) or"
    " treat it as another kind of invoice."
)
NOT_EINVOICE_ZUGFERD1 = (
    "ZUGFeRD 1.0 entspricht nicht der europäischen Norm EN 16931 und gilt seit 2025 nicht als"
    " E-Rechnung im Sinne des § 14 UStG. Die Angaben wurden, soweit möglich, gelesen; bitte beim"
    " Rechnungssteller eine E-Rechnung (XRechnung oder ZUGFeRD 2.x) anfordern."
    " / ZUGFeRD 1.0 does not conform to EN 16931 and, since 2025, is not an e-invoice under"
    " section 14 of the German VAT Act (UStG). Its data was read as far as possible; ask the"
    " supplier for an e-invoice (XRechnung or ZUGFeRD 2.x)."
)
UNKNOWN_SPECIFICATION = (
    "Die Spezifikationskennung (BT-24) ‚{spec}‘ ist unbekannt; die Rechnung wird nach EN 16931"
    " gelesen. / The specification identifier (BT-24) '{spec}' is not known; the invoice is read"
    " as EN 16931."
)


def profile_from_specification(specification_id: str | None) -> Profile:
    """Map BT-24 (UBL CustomizationID, CII guideline ID) to a profile.

    Recognises XRechnung (``urn:xeinkauf.de:kosit:xrechnung_3.0`` and the older
    ``urn:xoev-de:kosit:standard:xrechnung_*``), the ZUGFeRD 2.x / Factur-X profiles (both the
    ``urn:factur-x.eu:1p0:*`` and ``urn:zugferd.de:2p0:*`` spellings, including the colon form
    ``urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic`` seen in the wild), ZUGFeRD 1.0,
    and plain EN 16931 or a CIUS/extension of it (e.g. Peppol BIS Billing 3.0).
    """
    if not specification_id:
        return Profile.UNKNOWN
    spec = specification_id.strip().lower()
    if spec.startswith("urn:ferd:crossindustrydocument:invoice:1p0"):
        return Profile.ZUGFERD_1
    if "xrechnung_3" in spec:
        return Profile.XRECHNUNG_3
    if "xrechnung" in spec:
        return Profile.XRECHNUNG_LEGACY
    if spec.endswith(":minimum"):
        return Profile.MINIMUM
    if spec.endswith(":basicwl"):
        return Profile.BASIC_WL
    if spec.endswith(":basic"):
        return Profile.BASIC
    if spec.endswith(":extended"):
        return Profile.EXTENDED
    if spec.startswith("urn:cen.eu:en16931:2017"):
        return Profile.EN16931
    return Profile.UNKNOWN


def einvoice_status(profile: Profile) -> tuple[bool, str | None]:
    """Whether the profile can be an e-invoice under § 14 UStG, and the note to show if not.

    ``True`` means "may be one, subject to validation"; the validation rules decide the rest.
    """
    if profile in (Profile.MINIMUM, Profile.BASIC_WL):
        return False, NOT_EINVOICE_NO_LINES.format(profile=profile.value)
    if profile is Profile.ZUGFERD_1:
        return False, NOT_EINVOICE_ZUGFERD1
    return True, None
