"""All tables, one module per aggregate; importing this package registers them all."""

from dms.models.audit import AuditEvent, AuditHead
from dms.models.base import Base, utcnow
from dms.models.documents import DOCUMENT_TYPES, Document, SearchText, Version
from dms.models.fileplan import FILE_KINDS, Case, Counter, File, FileShare, PlanNode
from dms.models.org import (
    ROLES,
    ApiToken,
    Deputy,
    Group,
    GroupMember,
    Office,
    User,
    UserRole,
    WebSession,
)
from dms.models.signatures import KEY_KINDS, KEY_PURPOSES, SigningKey

__all__ = [
    "DOCUMENT_TYPES",
    "FILE_KINDS",
    "KEY_KINDS",
    "KEY_PURPOSES",
    "ROLES",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Case",
    "Counter",
    "Deputy",
    "Document",
    "File",
    "FileShare",
    "Group",
    "GroupMember",
    "Office",
    "PlanNode",
    "SearchText",
    "SigningKey",
    "User",
    "UserRole",
    "Version",
    "WebSession",
    "utcnow",
]
