"""Field extraction from the OCR text of a letter: pure functions, no I/O.

``extract_fields(text, reference_pattern=...)`` returns an :class:`Extraction`: letter date,
sender (matched against the correspondent register), reference numbers (ours and theirs),
IBAN/BIC, amounts and the document type, each a :class:`Field` with value, confidence and the
evidence span the mailroom screen highlights.
"""

from ingest.extract.amounts import format_amount_de, parse_amount_de
from ingest.extract.banking import format_iban, iban_check_digits, is_valid_iban
from ingest.extract.core import extract_fields
from ingest.extract.correspondents import CorrespondentRegister, load_register, parse_register
from ingest.extract.doctype import classify_by_rules
from ingest.extract.model import (
    DOCUMENT_TYPE_NAMES,
    DOCUMENT_TYPES,
    Amount,
    Correspondent,
    Evidence,
    Extraction,
    Field,
    Reference,
    Sender,
)
from ingest.extract.references import ReferencePattern

__all__ = [
    "DOCUMENT_TYPES",
    "DOCUMENT_TYPE_NAMES",
    "Amount",
    "Correspondent",
    "CorrespondentRegister",
    "Evidence",
    "Extraction",
    "Field",
    "Reference",
    "ReferencePattern",
    "Sender",
    "classify_by_rules",
    "extract_fields",
    "format_amount_de",
    "format_iban",
    "iban_check_digits",
    "is_valid_iban",
    "load_register",
    "parse_amount_de",
    "parse_register",
]
