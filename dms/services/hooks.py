"""Hooks from the e-file core to the packages built on it (workflows, ingest).

The core calls these lists at fixed points and never imports who listens: a package registers
its function at import time (the shell, web app and CLI, imports it). A listener runs inside
the caller's transaction, as the caller; raising aborts the whole change.
"""

from __future__ import annotations

from collections.abc import Callable

from dms.models import Document, Version
from dms.services.context import Ctx

VersionHook = Callable[[Ctx, Document, Version], None]

#: Called at the end of `dms.services.documents.add_version`, after the new version's rows.
after_version_added: list[VersionHook] = []


def version_added(ctx: Ctx, document: Document, version: Version) -> None:
    for hook in list(after_version_added):
        hook(ctx, document, version)
