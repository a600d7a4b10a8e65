"""Electronic signatures (PAdES) for the e-file: signing keys, the signing core, the stamp.

Signing lives here; validation of signatures is a separate module beside it (as in pyHanko:
`sign/signers` and `sign/validation` apart).
"""

from dms.signatures.config import LEVELS, Level, SignatureSettings, load_signature_settings
from dms.signatures.keys import SigningKey, open_key
from dms.signatures.pades import async_sign_pdf, sign_pdf
from dms.signatures.stamp import StampSpec

__all__ = [
    "LEVELS",
    "Level",
    "SignatureSettings",
    "SigningKey",
    "StampSpec",
    "async_sign_pdf",
    "load_signature_settings",
    "open_key",
    "sign_pdf",
]
