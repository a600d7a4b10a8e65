"""Hot folder (Scanordner): a scanner drops files into a directory; each file is taken in
once it has stopped growing, stored and committed, and only then removed from the folder.

Polling, not inotify: network shares (SMB/NFS) where scanners write rarely deliver change
events, and a poll every few seconds is cheap. A file whose intake fails is moved into
`quarantine/` beside a `.reason.txt`, so nothing vanishes and staff see why.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from dms.errors import DmsError
from dms.services.context import App

log = logging.getLogger(__name__)
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".reason.txt")


@dataclass
class HotFolder:
    root: Path
    device: str
    operator: str = "scanner"
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def stable_files(self) -> list[Path]:
        """Files whose size and mtime did not change since the previous poll."""
        current: dict[str, tuple[int, int]] = {}
        ready = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if not entry.is_file() or entry.name.startswith(".") \
                    or entry.name.endswith(IGNORED_SUFFIXES):
                continue
            stat = entry.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            current[entry.name] = signature
            if self._seen.get(entry.name) == signature:
                ready.append(Path(entry.path))
        self._seen = current
        return ready

    def poll(self, app: App) -> list[int]:
        """Take in every stable file; returns the new batch ids."""
        from ingest.pipeline import receive

        batches = []
        for path in self.stable_files():
            try:
                batch_id = receive(app, path, source="hotfolder", operator=self.operator,
                                   device=self.device)
            except DmsError as exc:
                self._quarantine(path, exc.message)
                continue
            path.unlink()  # only now: the original is stored and its batch committed
            self._seen.pop(path.name, None)
            batches.append(batch_id)
            log.info("hot folder %s: %s -> batch %s", self.device, path.name, batch_id)
        return batches

    def _quarantine(self, path: Path, reason: str) -> None:
        target_dir = self.root / "quarantine"
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        os.replace(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n",
                                                                 encoding="utf-8")
        self._seen.pop(path.name, None)
