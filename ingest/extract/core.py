"""extract_fields: one pass over the OCR text of a letter, every field with its evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from ingest.extract.amounts import find_amounts
from ingest.extract.banking import find_bics, find_ibans
from ingest.extract.correspondents import CorrespondentRegister
from ingest.extract.dates import MIN_DATE_SCORE, find_dates
from ingest.extract.doctype import classify_by_rules
from ingest.extract.model import Extraction
from ingest.extract.references import ReferencePattern, as_pattern, find_references
from ingest.extract.text import PageMap, numeric_view

#: Longer texts are cut: a letter's fields stand on its first pages, and the regexes must
#: stay fast on a 200-page batch that was not split.
MAX_CHARS = 200_000
#: The document type is decided on the first pages (keywords deep in an appendix mislead).
TYPE_CHARS = 30_000


def extract_fields(
    text: str | None,
    *,
    reference_pattern: ReferencePattern | re.Pattern[str] | str | None,
    pages: Sequence[str] | None = None,
    register: CorrespondentRegister | None = None,
    today: date | None = None,
    max_future_days: int = 3,
    max_chars: int = MAX_CHARS,
) -> Extraction:
    """Letter date, sender, reference numbers, IBAN/BIC, amounts and document type.

    ``text`` is the full OCR text (pages joined, form feeds allowed); when only ``pages`` is
    given they are joined with form feeds. ``reference_pattern`` is our Aktenzeichen scheme
    (:class:`ReferencePattern`, e.g. ``ReferencePattern.from_settings(settings, plan_codes)``)
    or one regex. Evidence offsets point into ``text``. Pure: no I/O, no database.
    """
    if text is None:
        text = "\f".join(pages or ())
    text = text[:max_chars]
    today = today or date.today()
    pattern = as_pattern(reference_pattern)
    page_map = PageMap(text, pages)
    view = numeric_view(text)

    dates = find_dates(text, view, page_map, today=today, max_future_days=max_future_days)
    letter_date = dates[0] if dates and dates[0].confidence >= MIN_DATE_SCORE else None
    references = find_references(text, view, page_map, pattern)
    ibans = find_ibans(text, page_map)
    bics = find_bics(text, page_map, ibans)
    amounts, main_amount = find_amounts(text, view, page_map)
    senders = register.match(text, page_map, ibans=ibans) if register is not None else []
    if register is None:
        senders = CorrespondentRegister(()).match(text, page_map)
    sender = senders[0] if senders else None
    sender_kind = sender.value.correspondent.kind if sender and sender.value.correspondent else None
    doc_type, scores = classify_by_rules(text[:TYPE_CHARS], page_map, sender_kind=sender_kind)
    return Extraction(
        text=text,
        date=letter_date,
        date_candidates=tuple(dates[:5]),
        sender=sender,
        sender_candidates=tuple(senders[:5]),
        references=tuple(references),
        ibans=tuple(ibans),
        bics=tuple(bics),
        amounts=tuple(amounts),
        amount=main_amount,
        document_type=doc_type,
        type_scores=scores,
    )
