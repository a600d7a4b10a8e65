"""The visible signature stamp (Signaturvermerk): who signed, in which role and office, when.

The text is German, as the document it sits on; the time is local German time, written the
way a clerk writes it ("25.11.2026, 14:05 Uhr"). pyHanko draws it with a PDF standard font
(WinAnsi), so characters outside Latin-1 are replaced rather than drawn as garbage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

_REPLACEMENTS = str.maketrans({"–": "-", "—": "-", "„": '"', "“": '"', "”": '"', "‚": "'",
                               "‘": "'", "’": "'", "€": "EUR", "…": "..."})


@dataclass(frozen=True)
class StampSpec:
    """What the stamp says and where it sits.

    page: 1 = first page, -1 = last (the default: signatures go under the text);
    box: (x1, y1, x2, y2) in points from the lower left corner; None = configured position.
    """

    name: str
    role: str | None = None
    office: str | None = None
    page: int = -1
    box: tuple[float, float, float, float] | None = None


def german_time(moment: datetime) -> str:
    """'25.11.2026, 15:05 Uhr' in German local time (Europe/Berlin)."""
    try:
        local = moment.astimezone(ZoneInfo("Europe/Berlin"))
    except ZoneInfoNotFoundError:  # no tz database: say which time it is
        return moment.strftime("%d.%m.%Y, %H:%M Uhr (UTC)")
    return local.strftime("%d.%m.%Y, %H:%M Uhr")


def _latin1(text: str) -> str:
    text = text.translate(_REPLACEMENTS)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def stamp_lines(spec: StampSpec, signed_at: datetime, *, seal: bool = False) -> list[str]:
    """The lines of the stamp; a seal (elektronisches Siegel) says so instead of 'signiert'."""
    lines = ["Elektronisch gesiegelt" if seal else "Elektronisch signiert", spec.name]
    detail = ", ".join(part for part in (spec.role, spec.office) if part)
    if detail:
        lines.append(detail)
    lines.append(f"am {german_time(signed_at)}")
    return [_latin1(line) for line in lines]


def stamp_style(spec: StampSpec, signed_at: datetime, *, seal: bool = False) -> TextStampStyle:
    """A pyHanko stamp style that draws exactly our text (no pyHanko placeholders)."""
    text = "\n".join(stamp_lines(spec, signed_at, seal=seal)).replace("%", "%%")
    return TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(font_size=9, leading=11),
        border_width=1,
    )
