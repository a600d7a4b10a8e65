"""Errors typed once, each carrying the CLI exit code and the HTTP status the shell maps it to.

The message is written for the person who has to act on it (German first, English after
" / " where the UI shows it); services raise these, web/API/CLI only translate them.
"""

from __future__ import annotations


class DmsError(Exception):
    """Base of every error a user can act on."""

    exit_code: int = 1
    http_status: int = 400
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DmsError):
    """Input the user can correct (empty file, bad name, malformed field)."""

    exit_code = 2
    http_status = 422
    code = "invalid_input"


class NotFound(DmsError):
    """Object absent, or present but invisible to the caller: both look the same on purpose."""

    exit_code = 3
    http_status = 404
    code = "not_found"


class PermissionDenied(DmsError):
    """The caller may see the object but not perform this action on it."""

    exit_code = 4
    http_status = 403
    code = "permission_denied"


class AuthenticationRequired(DmsError):
    exit_code = 4
    http_status = 401
    code = "authentication_required"


class Conflict(DmsError):
    """The request clashes with the current state (duplicate reference, stale version)."""

    exit_code = 5
    http_status = 409
    code = "conflict"


class UnsupportedContent(InvalidInput):
    """Content we refuse to file as is (broken or encrypted PDF), with the reason why."""

    code = "unsupported_content"
    http_status = 415


class StorageUnavailable(DmsError):
    """The object store (directory or S3 endpoint) cannot be reached or written."""

    exit_code = 6
    http_status = 503
    code = "storage_unavailable"


class DatabaseUnavailable(DmsError):
    exit_code = 6
    http_status = 503
    code = "database_unavailable"


class ConfigError(DmsError):
    """Settings or shipped configuration are invalid; the message names the key and the fix."""

    exit_code = 7
    http_status = 500
    code = "config_error"


class IntegrityFailure(DmsError):
    """A check (fsck, audit verify) found damage."""

    exit_code = 8
    http_status = 500
    code = "integrity_failure"


class KeyAccessDenied(DmsError):
    """A signing key refused us: wrong PIN or passphrase, or a locked token (Signaturschlüssel)."""

    exit_code = 4
    http_status = 403
    code = "key_access_denied"


class ServiceUnavailable(DmsError):
    """An outside service we depend on (timestamp authority, remote signing service, OCSP)
    cannot be reached; trying again later may help."""

    exit_code = 6
    http_status = 503
    code = "service_unavailable"
