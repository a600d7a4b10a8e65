"""Object store in a local directory: the embedded default (no servers to run).

Layout::

    <root>/ab/cd/<sha256>   blobs, read-only (0444), fanned out so no directory grows huge
                            (the 256 ``ab`` directories are made on the first write)
    <root>/tmp/             uploads in progress; same filesystem, so the final rename is atomic

Crash safety comes from the classic sequence: write a temp file, fsync it, rename it into place,
fsync the directory. A crash at any point leaves either no blob or a complete one; the worst
leftover is a temp file, which :meth:`LocalStore.sweep_temp` removes.

A :class:`LocalBatch` (``store.batch()``, used by bulk imports) runs the same sequence but
fsyncs each changed directory once per batch, in :meth:`LocalBatch.sync`, instead of once per
blob: on ext4 every directory fsync is a journal commit, and with a fan-out of 65,536
directories a young store creates a directory for almost every blob (the new entry in the
parent must be made durable too). Each blob's own bytes are still fsynced by its put, before
its rename, so no rename can ever name a file whose bytes are not on disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from dms.errors import NotFound, StorageUnavailable
from dms.storage import StoredBlob, check_sha256, copy_hashing, hash_stream, is_sha256

_HEX2 = frozenset("0123456789abcdef")
_TMP_DIR = "tmp"
_TMP_PREFIX = "put-"
_TMP_SUFFIX = ".part"
#: Directory fsyncs of a batch run side by side, so that the file system can commit them
#: together (one journal commit serves every fsync waiting for it).
_SYNC_THREADS = 8


def _is_hex2(name: str) -> bool:
    return len(name) == 2 and set(name) <= _HEX2


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename, a new subdirectory) survive a power cut.

    fsync on the file alone persists its data, not the name pointing at it.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """Blobs as read-only files under a root directory, addressed by SHA-256."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        # absolute() rather than resolve(): keep symlinked roots as the operator wrote them.
        self.root = Path(root).expanduser().absolute()
        self._tmp = self.root / _TMP_DIR
        self.url = self.root.as_uri()
        self._fanout_ready = False

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # -- helpers -------------------------------------------------------------------------------

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _unavailable(self, what: str, path: Path, exc: OSError) -> StorageUnavailable:
        reason = exc.strerror or str(exc)
        return StorageUnavailable(
            f"Dokumentenablage {what}: {path} ({reason}) / object store directory {path}: "
            f"{what} failed ({reason})"
        )

    def _ensure_dirs(self) -> None:
        """Create the root and tmp/ on first write, so setup is only "pick a directory".

        Checked on every put (two cheap syscalls) rather than once, so that a root that was
        unmounted or removed while the process runs is reported as such and not as a bare ENOENT.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(exist_ok=True)
            if not os.access(self._tmp, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self._tmp))
        except OSError as exc:
            raise StorageUnavailable(
                f"Dokumentenablage nicht anlegbar oder nicht beschreibbar: {self.root} "
                f"({exc.strerror or exc}) / object store directory {self.root} cannot be "
                f"created or written ({exc.strerror or exc})"
            ) from exc

    def _ensure_fanout(self) -> None:
        """Create the 256 first-level fan-out directories once per store object, and make
        them durable (one fsync of the root).

        Afterwards a put only ever creates a second-level directory, and the root never needs
        an fsync per blob. Done once, not per blob: another process may have created a level
        directory without having synced the root yet, so we sync it ourselves.
        """
        if self._fanout_ready:
            return
        try:
            for first in range(256):
                (self.root / f"{first:02x}").mkdir(exist_ok=True)
            _fsync_dir(self.root)
        except OSError as exc:
            raise self._unavailable("Schreibfehler / write error", self.root, exc) from exc
        self._fanout_ready = True

    def _mkdir(self, directory: Path, changed: set[Path]) -> None:
        """Create the second-level ``directory`` if need be (and its first-level parent,
        should that be gone); note each parent that got a new entry in ``changed``."""
        try:
            directory.mkdir()
        except FileExistsError:
            return
        except FileNotFoundError:  # the first level is made by _ensure_fanout; removed since?
            directory.parent.mkdir(exist_ok=True)
            changed.add(directory.parent.parent)
            directory.mkdir(exist_ok=True)
        changed.add(directory.parent)

    # -- ObjectStore ---------------------------------------------------------------------------

    def put(self, stream: BinaryIO) -> StoredBlob:
        """Stream into tmp/, hashing on the way, then rename into place (atomic, durable).

        If a blob with the same hash and size already exists the temp file is dropped and
        ``created`` is False. A blob of the right name but wrong size is damaged (e.g. by a disk
        fault) and is replaced by the fresh copy, which is known to be good. A batch of one.
        """
        batch = self.batch()
        blob = batch.put(stream)
        batch.sync(threads=1)
        return blob

    def batch(self) -> LocalBatch:
        return LocalBatch(self)

    def _put(self, stream: BinaryIO, changed: set[Path]) -> StoredBlob:
        """Write, fsync and rename one blob; the directories whose entries changed (or, for a
        blob found already stored, may not be durable yet) are added to ``changed``."""
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX)
        except OSError as exc:
            raise self._unavailable("nicht beschreibbar / not writable", self._tmp, exc) from exc
        tmp_path = Path(tmp_name)
        committed = False
        try:
            with os.fdopen(fd, "wb") as out:
                # Errors reading the caller's stream propagate unchanged from here.
                sha256, size = copy_hashing(stream, out, str(tmp_path))
                try:
                    out.flush()
                    os.fsync(out.fileno())
                except OSError as exc:
                    raise self._unavailable("fsync", tmp_path, exc) from exc
            committed = self._commit(tmp_path, sha256, size, changed)
            return StoredBlob(sha256=sha256, size=size, created=committed)
        finally:
            if not committed:
                with contextlib.suppress(OSError):
                    tmp_path.unlink()

    def _commit(self, tmp_path: Path, sha256: str, size: int, changed: set[Path]) -> bool:
        """Move a complete, fsynced temp file into place; False if the blob was already there."""
        final = self._path(sha256)
        try:
            try:
                existing: int | None = final.stat().st_size
            except FileNotFoundError:
                existing = None
            # Both directories are synced even when neither is new to us: the blob, or its
            # second-level directory, may come from another put (thread, batch or process)
            # that has not synced yet, and our row must not commit on that hope.
            changed.update((final.parent, final.parent.parent))
            if existing == size:
                os.utime(final)  # a fresh reference: keep the orphan sweep away from it
                return False
            os.chmod(tmp_path, 0o444)
            self._mkdir(final.parent, changed)
            os.replace(tmp_path, final)
        except OSError as exc:
            raise self._unavailable("Schreibfehler / write error", final, exc) from exc
        return True

    def _sync_dirs(self, directories: Iterable[Path], threads: int = _SYNC_THREADS) -> None:
        """fsync each directory, up to ``threads`` at a time."""
        todo = sorted(directories)

        def one(directory: Path) -> None:
            try:
                _fsync_dir(directory)
            except OSError as exc:
                raise self._unavailable("fsync", directory, exc) from exc

        if threads <= 1 or len(todo) <= 2:
            for directory in todo:
                one(directory)
            return
        with ThreadPoolExecutor(min(threads, len(todo))) as pool:
            for _ in pool.map(one, todo):  # re-raises the first failure
                pass

    def open(self, sha256: str) -> BinaryIO:
        """Open the blob file for streaming reads (a buffered file, not its contents)."""
        path = self._path(check_sha256(sha256))
        try:
            return open(path, "rb")  # the caller owns and closes the file
        except FileNotFoundError:
            raise NotFound(
                f"Blob {sha256} nicht vorhanden / blob {sha256} not found in {self.url}"
            ) from None
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", path, exc) from exc

    def _stat_size(self, sha256: str) -> int | None:
        path = self._path(check_sha256(sha256))
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", path, exc) from exc

    def exists(self, sha256: str) -> bool:
        return self._stat_size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        return self._stat_size(sha256)

    def delete(self, sha256: str) -> None:
        """Unlink the blob (read-only files can be unlinked: that needs only directory rights)."""
        path = self._path(check_sha256(sha256))
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._unavailable("Löschen / delete", path, exc) from exc
        with contextlib.suppress(OSError):
            _fsync_dir(path.parent)

    def iter_hashes(self) -> Iterator[str]:
        """Walk ab/cd/<hash>, skipping tmp/ and anything that is not a well-placed blob.

        A stray file (an editor backup, a hash filed under the wrong fan-out directory) is not a
        blob :meth:`open` could find, so fsck must not count it as one.
        """
        try:
            level1 = sorted(
                e.name
                for e in os.scandir(self.root)
                if _is_hex2(e.name) and e.is_dir(follow_symlinks=False)
            )
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", self.root, exc) from exc
        for d1 in level1:
            dir1 = self.root / d1
            try:
                level2 = sorted(
                    e.name
                    for e in os.scandir(dir1)
                    if _is_hex2(e.name) and e.is_dir(follow_symlinks=False)
                )
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise self._unavailable("nicht lesbar / not readable", dir1, exc) from exc
            for d2 in level2:
                dir2 = dir1 / d2
                prefix = d1 + d2
                try:
                    names = sorted(
                        e.name
                        for e in os.scandir(dir2)
                        if is_sha256(e.name)
                        and e.name.startswith(prefix)
                        and e.is_file(follow_symlinks=False)
                    )
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise self._unavailable("nicht lesbar / not readable", dir2, exc) from exc
                yield from names

    def modified_at(self, sha256: str) -> datetime | None:
        path = self._path(check_sha256(sha256))
        try:
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", path, exc) from exc

    def verify(self, sha256: str) -> bool:
        """Re-hash the file in chunks; False if it is missing or its bytes no longer match."""
        path = self._path(check_sha256(sha256))
        try:
            with open(path, "rb") as f:
                return hash_stream(f) == sha256
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", path, exc) from exc

    # -- maintenance ---------------------------------------------------------------------------

    def sweep_temp(self, older_than_seconds: float) -> int:
        """Delete temp files left by interrupted puts; return how many were removed.

        Only files older than ``older_than_seconds`` (by mtime) go, so uploads still being
        written by another process (their mtime keeps moving) are left alone.
        """
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds must be >= 0")
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self._tmp))
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise self._unavailable("nicht lesbar / not readable", self._tmp, exc) from exc
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:
                continue  # another sweeper or the finishing put got there first
            except OSError as exc:
                raise self._unavailable("Löschen / delete", Path(entry.path), exc) from exc
            removed += 1
        return removed


class LocalBatch:
    """A :class:`dms.storage.PutBatch` for :class:`LocalStore`: each put fsyncs its own file
    before the rename; :meth:`sync` fsyncs every directory the batch changed, once."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._changed: set[Path] = set()
        self._lock = threading.Lock()
        self._ready = False

    def put(self, stream: BinaryIO) -> StoredBlob:
        if not self._ready:  # root and tmp/ checked once per batch (two threads may both do it)
            self.store._ensure_dirs()
            self.store._ensure_fanout()
            self._ready = True
        changed: set[Path] = set()
        try:
            return self.store._put(stream, changed)
        finally:
            # Also after a failed put: a directory it created must not be left unsynced.
            with self._lock:
                self._changed |= changed

    def sync(self, threads: int = _SYNC_THREADS) -> None:
        with self._lock:
            changed, self._changed = self._changed, set()
        try:
            self.store._sync_dirs(changed, threads)
        except BaseException:
            with self._lock:  # still not durable: a later sync tries again
                self._changed |= changed
            raise
