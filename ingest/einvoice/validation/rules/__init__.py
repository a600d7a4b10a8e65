"""The rule modules; importing this package registers every rule in
:data:`ingest.einvoice.validation.registry.RULES` (in this order)."""

from ingest.einvoice.validation.rules import (  # noqa: F401 - imported to register
    codes,
    conditions,
    core,
    decimals,
    dms,
    schema,
    vat,
    xrechnung,
)
