"""Finance-system export (Export an das Finanzverfahren): booking records of approved invoices
written for a finance system to import, behind one interface with implementations side by
side: CSV (semicolon, decimal comma, UTF-8 with BOM) and a structured record as JSON or XML
(one schema). Which one and where comes from config/finance_export.toml.
"""

from connectors.finance_export.base import (
    Approval,
    BookingRecord,
    ExportError,
    ExportResult,
    FinanceExporter,
)
from connectors.finance_export.config import ExportConfig, exporter_for, load_export_config

__all__ = [
    "Approval",
    "BookingRecord",
    "ExportConfig",
    "ExportError",
    "ExportResult",
    "FinanceExporter",
    "exporter_for",
    "load_export_config",
]
