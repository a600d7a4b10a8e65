"""Reading command-line values into typed ones, with the German-first error every command
gives for the same mistake."""

from __future__ import annotations

from datetime import date

from dms.errors import InvalidInput


def parse_date(value: str | None) -> date | None:
    """An ISO date (JJJJ-MM-TT) or None when not given."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"Datum {value!r} bitte als JJJJ-MM-TT / use YYYY-MM-DD") from exc
