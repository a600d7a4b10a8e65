"""Hooks from the e-file core to the packages built on it (workflows, ingest).

The core calls these lists at fixed points and never imports who listens: a package registers
its function at import time (the shell, web app and CLI, imports it). A listener runs inside
the caller's transaction, as the caller; raising aborts the whole change.
"""

from __future__ import annotations

from collections.abc import Callable

from dms.models import Case, Document, Version
from dms.services.context import Ctx

VersionHook = Callable[[Ctx, Document, Version], None]
MoveHook = Callable[[Ctx, Document, Case, Case], None]

#: Called at the end of `dms.services.documents.add_version`, after the new version's rows.
after_version_added: list[VersionHook] = []


def version_added(ctx: Ctx, document: Document, version: Version) -> None:
    for hook in list(after_version_added):
        hook(ctx, document, version)


#: Called by `dms.services.document_edits.move_document` with the document (already in its
#: new case), the case it left and the case it went to.
after_document_moved: list[MoveHook] = []


def document_moved(ctx: Ctx, document: Document, source: Case, target: Case) -> None:
    for hook in list(after_document_moved):
        hook(ctx, document, source, target)
