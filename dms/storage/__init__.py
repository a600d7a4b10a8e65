"""Content-addressed blob storage behind one interface (DESIGN.md, invariant 4).

Every document version's bytes live in an object store under the SHA-256 of those bytes. Content
addressing gives us three things for free: identical uploads are stored once (dedup), a blob can
never change under the database row that points to it (versions never change, invariant 2), and
fsck can re-hash any blob and know whether it is damaged.

Two backends implement :class:`ObjectStore`: :class:`dms.storage.local.LocalStore` (a directory,
the embedded default) and :class:`dms.storage.s3.S3Store` (MinIO or any S3, with object lock for
write-once retention). :func:`open_store` picks one from a URL so that configuration is a single
string. The backends are imported lazily so that a directory-only installation never imports the
S3 client.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from dms.errors import ConfigError, InvalidInput, StorageUnavailable

__all__ = [
    "CHUNK_SIZE",
    "ObjectStore",
    "PutBatch",
    "StoredBlob",
    "check_sha256",
    "copy_hashing",
    "hash_stream",
    "is_sha256",
    "open_store",
]

#: Bytes moved per read/write. Large enough for throughput, small enough that memory use stays
#: constant however big the blob is.
CHUNK_SIZE = 1024 * 1024

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")

URL_EXAMPLES = (
    "/var/lib/dms/blobs, file:///var/lib/dms/blobs or "
    "s3://dms-blobs?endpoint=minio.example.org:9000&secure=true&region=us-east-1"
    "&access_key=...&secret_key=...&object_lock=GOVERNANCE:3650"
)


@dataclass(frozen=True)
class StoredBlob:
    """Result of :meth:`ObjectStore.put`: what was stored and whether it was new."""

    sha256: str  # lowercase hex
    size: int
    created: bool  # False when identical bytes were already stored (dedup)


@runtime_checkable
class PutBatch(Protocol):
    """Puts whose durability work is shared: a blob put through a batch is complete and
    readable when ``put`` returns, but durable only once :meth:`sync` has returned.

    A bulk import stores a group of files through one batch, calls ``sync`` and only then
    commits the group's rows, so "the blob is durable before its row commits" still holds, while
    the store pays for each directory's durability once per group instead of once per blob.
    ``put`` may be called from several threads at once.
    """

    def put(self, stream: BinaryIO) -> StoredBlob:
        """Store the stream's bytes like :meth:`ObjectStore.put`; durable after :meth:`sync`."""
        ...

    def sync(self) -> None:
        """Make every blob this batch has put (or found already stored) durable."""
        ...


@runtime_checkable
class ObjectStore(Protocol):
    """A content-addressed blob store.

    Implementations must be safe to call from several threads and processes at once: two puts of
    the same bytes race harmlessly because the key is the content.
    """

    url: str  # a description safe to print (no secrets)

    def put(self, stream: BinaryIO) -> StoredBlob:
        """Store the stream's bytes (read in CHUNK_SIZE pieces); durable when it returns."""
        ...

    def batch(self) -> PutBatch:
        """A new :class:`PutBatch` for storing many blobs with shared durability work."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Return a streaming readable file for the blob; raise NotFound if absent."""
        ...

    def exists(self, sha256: str) -> bool:
        """Tell whether a blob with this hash is stored."""
        ...

    def size(self, sha256: str) -> int | None:
        """Return the stored size in bytes, or None if absent."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove the blob; deleting an absent blob is not an error (idempotent)."""
        ...

    def iter_hashes(self) -> Iterator[str]:
        """Yield every stored blob's hash (for fsck and the orphan sweep)."""
        ...

    def modified_at(self, sha256: str) -> datetime | None:
        """When the blob was last written (or re-put); None if absent. The orphan sweep
        spares young blobs, which may belong to an import that has not committed yet."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes (streaming); False if missing or different."""
        ...


def is_sha256(value: object) -> bool:
    """True for a 64-character lowercase hex string, the only form a blob key can take."""
    return isinstance(value, str) and _SHA256_RE.fullmatch(value) is not None


def check_sha256(value: str) -> str:
    """Return ``value`` if it is a valid blob hash, else raise InvalidInput.

    Backends build paths and object keys from the hash, so anything else (``../``, uppercase,
    a truncated hash) must be refused before it reaches the filesystem or the bucket.
    """
    if not is_sha256(value):
        shown = value if isinstance(value, str) and len(value) <= 80 else repr(value)[:80]
        raise InvalidInput(
            f"Ungültiger Blob-Hash {shown!r} / invalid blob hash {shown!r}: "
            "expected 64 lowercase hex characters (SHA-256)"
        )
    return value


def copy_hashing(stream: BinaryIO, sink: BinaryIO, where: str) -> tuple[str, int]:
    """Copy ``stream`` into ``sink`` chunk by chunk and return (sha256 hex, size).

    Only one chunk is held at a time, so memory stays constant for any stream length. Errors
    while *writing* become StorageUnavailable naming ``where``; errors while *reading* the
    caller's stream propagate unchanged, because they are the caller's problem, not the store's.
    """
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
        try:
            sink.write(chunk)
        except OSError as exc:
            raise StorageUnavailable(
                f"Ablage nicht beschreibbar: {where} / cannot write to {where}: "
                f"{exc.strerror or exc}"
            ) from exc
    return digest.hexdigest(), size


def hash_stream(stream: BinaryIO) -> str:
    """Return the SHA-256 hex digest of a readable stream, reading it in chunks."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()


def open_store(url: str) -> ObjectStore:
    """Open the object store a configuration URL describes.

    Accepted forms: a plain filesystem path, ``file:///abs/path`` (both: LocalStore), and
    ``s3://BUCKET?endpoint=HOST:PORT&...`` (S3Store; see :meth:`S3Store.from_url` for the
    parameters). Anything else raises ConfigError with an example, so a typo in the settings
    fails at start-up and not at the first upload.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"object store URL is empty; e.g. {URL_EXAMPLES}")
    url = url.strip()
    match = _SCHEME_RE.match(url)
    if match is None or len(match.group(1)) == 1:
        # No scheme: a plain path (a one-letter "scheme" would be a drive letter; treat as path).
        from dms.storage.local import LocalStore

        return LocalStore(url)

    scheme = match.group(1).lower()
    if scheme == "file":
        return _open_file_url(url)
    if scheme == "s3":
        from dms.storage.s3 import S3Store

        return S3Store.from_url(url)
    raise ConfigError(
        f"object store URL has unsupported scheme {scheme!r}; use a path, file:// or s3://, "
        f"e.g. {URL_EXAMPLES} (a relative path containing ':' must start with './')"
    )


def _open_file_url(url: str) -> ObjectStore:
    """Parse ``file:///abs/path`` (``file://localhost/abs/path`` is accepted too)."""
    from dms.storage.local import LocalStore

    example = "file:///var/lib/dms/blobs"
    parts = urlsplit(url)
    if not url.lower().startswith("file://"):
        raise ConfigError(f"file URL {url!r} must start with 'file://', e.g. {example}")
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(
            f"file URL {url!r} names host {parts.netloc!r}; a file URL needs three slashes "
            f"and an absolute path, e.g. {example}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"file URL {url!r} must not have '?' or '#' parts (percent-encode them as %3F, %23), "
            f"e.g. {example}"
        )
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ConfigError(f"file URL {url!r} needs an absolute path, e.g. {example}")
    return LocalStore(path)
