"""Hot folder (Scanordner): a scanner drops files into a directory; each file is taken in
once it has stopped growing, stored and committed, and only then removed from the folder.

Two ways to notice a file, the same rule for when it is complete:

* inotify (watchdog), the default on a local disk: the kernel reports each write, close and
  rename. A file whose writer closed it (``IN_CLOSE_WRITE``) or that was renamed into the
  folder (scanners write ``scan.tmp`` and rename it) is complete once it has stayed unchanged
  for ``settle_seconds``; a file that only ever reports writes (a writer that keeps it open)
  once it has been quiet for ``quiet_seconds``. Either way its size and mtime must still
  match what the last event saw, so a file that is still growing is never taken.
* polling, the fallback: network shares (SMB/NFS) where scanners write rarely deliver change
  events, inotify may be unavailable or out of watches, and watchdog may be missing. A file
  is taken once its size and mtime did not change between two looks. In inotify mode the
  folder is still scanned this way every ``rescan_seconds``, so a file whose events were
  missed (queue overflow, present before the start) is not forgotten.

A file whose intake fails is moved into ``quarantine/`` beside a ``.reason.txt``, so nothing
vanishes and staff see why.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dms.errors import DmsError
from dms.services.context import App

log = logging.getLogger(__name__)
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".reason.txt")
Mode = Literal["inotify", "polling"]
Signature = tuple[int, int]  # size, mtime in ns


def _wanted(name: str) -> bool:
    return not name.startswith(".") and not name.endswith(IGNORED_SUFFIXES)


def _signature(path: Path) -> Signature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


@dataclass
class _Activity:
    """What the last event about one file said, and when (monotonic seconds)."""

    at: float
    signature: Signature | None
    closed: bool  # the writer closed it or it was renamed in: writing is over


class _Watch:
    """A watchdog observer on the folder (not recursive: quarantine/ is not watched) that
    records the activity of each file; :meth:`HotFolder.poll` reads it."""

    def __init__(self, root: Path) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self.root = root
        self.lock = threading.Lock()
        self.activity: dict[str, _Activity] = {}
        self.wakeup = threading.Event()
        watch = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.is_directory:
                    return
                kind = event.event_type
                if kind == "moved":
                    watch.forget(event.src_path)
                    watch.touch(event.dest_path, closed=True)
                elif kind == "deleted":
                    watch.forget(event.src_path)
                elif kind in ("created", "modified"):
                    watch.touch(event.src_path, closed=False)
                elif kind == "closed":  # IN_CLOSE_WRITE; "closed_no_write" is a reader
                    watch.touch(event.src_path, closed=True)

        self.observer = Observer()
        self.observer.daemon = True
        self.observer.schedule(Handler(), str(root), recursive=False)
        self.observer.start()  # OSError when inotify is unavailable or out of watches

    def _name(self, path: str | bytes) -> str | None:
        full = Path(os.fsdecode(path))
        if full.parent != self.root or not _wanted(full.name):
            return None
        return full.name

    def touch(self, path: str | bytes, *, closed: bool) -> None:
        name = self._name(path)
        if name is None:
            return
        signature = _signature(self.root / name)
        with self.lock:
            previous = self.activity.get(name)
            # A "modified" after a close means writing started again; a trailing "modified"
            # that changes nothing (attributes set on close) leaves it closed.
            still_closed = closed or (
                previous is not None and previous.closed and previous.signature == signature
            )
            self.activity[name] = _Activity(time.monotonic(), signature, still_closed)
        self.wakeup.set()

    def forget(self, path: str | bytes) -> None:
        name = self._name(path)
        if name is not None:
            with self.lock:
                self.activity.pop(name, None)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


@dataclass
class HotFolder:
    root: Path
    device: str
    operator: str = "scanner"
    watch: bool = True  # False: polling only (e.g. a network share)
    settle_seconds: float = 0.3  # closed or renamed in, then unchanged this long
    quiet_seconds: float = 2.0  # no close seen: no event for this long
    rescan_seconds: float = 30.0  # inotify mode: full look at the folder this often
    _seen: dict[str, Signature] = field(default_factory=dict)
    _watch: _Watch | None = None
    _started: bool = False
    _last_scan: float | None = None
    _scans: int = 0  # full looks since start: the first two find what was there before

    @property
    def mode(self) -> Mode:
        return "inotify" if self._watch is not None else "polling"

    def start(self) -> Mode:
        """Start watching with inotify where possible; polling is what remains otherwise.
        Called by the first :meth:`poll`; safe to call again."""
        if self._started:
            return self.mode
        self._started = True
        self.root = self.root.resolve()
        self._scans = 0
        if self.watch:
            try:
                self._watch = _Watch(self.root)
            except (ImportError, OSError) as exc:
                log.warning("hot folder %s: inotify unavailable (%s), polling instead",
                            self.device, exc)
                self._watch = None
        log.info("hot folder %s: %s", self.device, self.mode)
        return self.mode

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None

    def wait(self, timeout: float) -> bool:
        """Block until a file event arrives (inotify mode) or ``timeout`` passes; lets a loop
        react to a new scan at once instead of at its next tick."""
        if self._watch is None:
            time.sleep(timeout)
            return False
        happened = self._watch.wakeup.wait(timeout)
        self._watch.wakeup.clear()
        return happened

    def stable_files(self) -> list[Path]:
        """Files whose size and mtime did not change since the previous look (polling)."""
        current: dict[str, Signature] = {}
        ready = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if not entry.is_file() or not _wanted(entry.name):
                continue
            stat = entry.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            current[entry.name] = signature
            if self._seen.get(entry.name) == signature:
                ready.append(Path(entry.path))
        self._seen = current
        self._last_scan = time.monotonic()
        self._scans += 1
        return ready

    def settled_files(self) -> list[Path]:
        """Files inotify saw written whose writing is over (see the module docstring)."""
        if self._watch is None:
            return []
        now = time.monotonic()
        ready = []
        with self._watch.lock:
            items = sorted(self._watch.activity.items())
        for name, activity in items:
            wait = self.settle_seconds if activity.closed else self.quiet_seconds
            if now - activity.at < wait:
                continue
            path = self.root / name
            signature = _signature(path)
            if signature is None:  # gone meanwhile
                self._watch.forget(str(path))
            elif signature == activity.signature:
                ready.append(path)
            else:  # changed without an event reaching us yet: look again later
                self._watch.touch(str(path), closed=False)
        return ready

    def ready_files(self) -> list[Path]:
        """Every file that has stopped growing, by events and (when due) by a full look."""
        self.start()
        ready = {path.name: path for path in self.settled_files()}
        due = (self._scans < 2 or self._last_scan is None
               or time.monotonic() - self._last_scan >= self.rescan_seconds)
        if self._watch is None or due:
            for path in self.stable_files():
                ready.setdefault(path.name, path)
        return [ready[name] for name in sorted(ready)]

    def poll(self, app: App) -> list[int]:
        """Take in every file that has stopped growing; returns the new batch ids."""
        from ingest.pipeline import receive

        batches = []
        for path in self.ready_files():
            try:
                batch_id = receive(app, path, source="hotfolder", operator=self.operator,
                                   device=self.device)
            except DmsError as exc:
                self._quarantine(path, exc.message)
                continue
            path.unlink()  # only now: the original is stored and its batch committed
            self._forget(path)
            batches.append(batch_id)
            log.info("hot folder %s: %s -> batch %s", self.device, path.name, batch_id)
        return batches

    def _forget(self, path: Path) -> None:
        self._seen.pop(path.name, None)
        if self._watch is not None:
            self._watch.forget(str(path))

    def _quarantine(self, path: Path, reason: str) -> None:
        target_dir = self.root / "quarantine"
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        os.replace(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n",
                                                                 encoding="utf-8")
        self._forget(path)
