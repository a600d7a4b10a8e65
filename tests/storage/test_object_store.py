"""Contract tests for dms.storage, run against the directory and the S3 (moto) backend."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dms.errors import ConfigError, InvalidInput, NotFound, StorageUnavailable
from dms.storage import CHUNK_SIZE, ObjectStore, StoredBlob, open_store
from dms.storage.local import LocalStore
from dms.storage.s3 import S3Store

SECRET = "a-secret-that-must-never-show"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MIB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(store: ObjectStore, sha256: str) -> bytes:
    with store.open(sha256) as f:
        return f.read()


def s3_key(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class FailingReader(io.RawIOBase):
    """A caller's stream that breaks after some bytes (a dropped upload)."""

    def __init__(self, good: bytes) -> None:
        self._good = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._good.read(size)
        if not chunk:
            raise ConnectionResetError("client went away")
        return chunk


# -- basic contract -------------------------------------------------------------------------------


def test_store_satisfies_protocol(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    assert store.url


@pytest.mark.parametrize("size", [1, 1000, CHUNK_SIZE + 7, 2 * 5 * MIB + 123])
def test_put_open_roundtrip(store: ObjectStore, size: int) -> None:
    # 2*5 MiB+123 makes the S3 backend do a three-part multipart upload.
    data = random.Random(size).randbytes(size)
    blob = store.put(io.BytesIO(data))
    assert blob == StoredBlob(sha256=sha(data), size=size, created=True)
    assert read_all(store, blob.sha256) == data
    assert store.exists(blob.sha256)
    assert store.size(blob.sha256) == size
    assert store.verify(blob.sha256)


def test_open_streams_in_pieces(store: ObjectStore) -> None:
    data = random.Random(1).randbytes(3 * CHUNK_SIZE + 5)
    blob = store.put(io.BytesIO(data))
    pieces = []
    with store.open(blob.sha256) as f:
        while chunk := f.read(CHUNK_SIZE):
            assert len(chunk) <= CHUNK_SIZE
            pieces.append(chunk)
    assert b"".join(pieces) == data


def test_dedup_same_bytes_stored_once(store: ObjectStore, boto_s3: Any) -> None:
    data = b"Bescheid vom 1. April" * 1000
    first = store.put(io.BytesIO(data))
    second = store.put(io.BytesIO(data))
    assert first.created is True
    assert second == StoredBlob(sha256=first.sha256, size=len(data), created=False)
    assert list(store.iter_hashes()) == [first.sha256]
    if isinstance(store, LocalStore):
        assert [p for p in store.root.rglob("*") if p.is_file()] == [
            store.root / first.sha256[:2] / first.sha256[2:4] / first.sha256
        ]
        assert list((store.root / "tmp").iterdir()) == []  # the duplicate's temp file is gone
    else:
        assert isinstance(store, S3Store)
        listed = boto_s3.list_objects_v2(Bucket=store.bucket)["Contents"]
        assert [o["Key"] for o in listed] == [s3_key(first.sha256)]


def test_empty_stream(store: ObjectStore) -> None:
    blob = store.put(io.BytesIO(b""))
    assert blob == StoredBlob(sha256=EMPTY_SHA256, size=0, created=True)
    assert read_all(store, EMPTY_SHA256) == b""
    assert store.size(EMPTY_SHA256) == 0
    assert store.verify(EMPTY_SHA256)
    assert store.put(io.BytesIO(b"")).created is False


def test_absent_hash(store: ObjectStore) -> None:
    absent = sha(b"never stored")
    with pytest.raises(NotFound) as info:
        store.open(absent)
    assert absent in info.value.message
    assert store.exists(absent) is False
    assert store.size(absent) is None
    assert store.verify(absent) is False


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "ABC", EMPTY_SHA256.upper(), EMPTY_SHA256[:-1]]
)
def test_malformed_hash_is_refused(store: ObjectStore, bad: str) -> None:
    for call in (store.open, store.exists, store.size, store.delete, store.verify):
        with pytest.raises(InvalidInput):
            call(bad)


def test_delete_is_idempotent(store: ObjectStore) -> None:
    keep = store.put(io.BytesIO(b"keep"))
    gone = store.put(io.BytesIO(b"gone"))
    store.delete(gone.sha256)
    store.delete(gone.sha256)
    store.delete(sha(b"never stored"))
    assert not store.exists(gone.sha256)
    with pytest.raises(NotFound):
        store.open(gone.sha256)
    assert store.exists(keep.sha256)
    # After deletion the same bytes can be stored again, as a new blob.
    assert store.put(io.BytesIO(b"gone")).created is True


def test_iter_hashes_lists_exactly_the_stored_blobs(store: ObjectStore, boto_s3: Any) -> None:
    assert list(store.iter_hashes()) == []
    hashes = {store.put(io.BytesIO(f"doc {i}".encode())).sha256 for i in range(6)}
    removed = sorted(hashes)[0]
    store.delete(removed)
    hashes.discard(removed)
    # Things that are not blobs must not be reported as blobs.
    stray = sha(b"misplaced")
    if isinstance(store, LocalStore):
        (store.root / "tmp" / "put-leftover.part").write_bytes(b"half")
        (store.root / "README").write_text("not a blob")
        (store.root / "00" / "00").mkdir(parents=True)
        (store.root / "00" / "00" / stray).write_bytes(b"misplaced")  # wrong fan-out directory
        (store.root / "00" / "00" / "notes.txt").write_text("x")
    else:
        assert isinstance(store, S3Store)
        for key in (f"blobs/00/00/{stray}", "blobs/readme.txt", f"other/{stray}"):
            boto_s3.put_object(Bucket=store.bucket, Key=key, Body=b"x")
    assert sorted(store.iter_hashes()) == sorted(hashes)


def test_verify_detects_corruption(store: ObjectStore, boto_s3: Any) -> None:
    good = store.put(io.BytesIO(b"intact content"))
    bad = store.put(io.BytesIO(b"content that will rot"))
    assert store.verify(bad.sha256)
    if isinstance(store, LocalStore):
        path = store.root / bad.sha256[:2] / bad.sha256[2:4] / bad.sha256
        assert path.stat().st_mode & 0o777 == 0o444
        path.chmod(0o644)
        path.write_bytes(b"content that will ROT")  # same size, different bytes
    else:
        assert isinstance(store, S3Store)
        boto_s3.put_object(Bucket=store.bucket, Key=s3_key(bad.sha256), Body=b"bitrot")
    assert store.verify(bad.sha256) is False
    assert store.verify(good.sha256) is True


def test_reader_failure_propagates_and_leaves_nothing(store: ObjectStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put(FailingReader(b"x" * (2 * CHUNK_SIZE)))
    assert list(store.iter_hashes()) == []
    if isinstance(store, LocalStore):
        assert list((store.root / "tmp").iterdir()) == []


# -- large streams ------------------------------------------------------------------------------

_LARGE_PUT_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, random, sys, tracemalloc

    from dms.storage import open_store

    BLOCK = 1024 * 1024

    class PseudoRandomReader:
        # Yields `total` deterministic pseudo-random bytes, one block at a time.
        def __init__(self, total, seed):
            self._left = total
            self._rng = random.Random(seed)
            self._buffer = b""

        def read(self, size=-1):
            if size is None or size < 0:
                raise AssertionError("the store must not ask for everything at once")
            if not self._buffer and self._left > 0:
                self._buffer = self._rng.randbytes(min(BLOCK, self._left))
                self._left -= len(self._buffer)
            chunk, self._buffer = self._buffer[:size], self._buffer[size:]
            return chunk

    url, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    expected = hashlib.sha256()
    reader = PseudoRandomReader(total, seed)
    while chunk := reader.read(BLOCK):
        expected.update(chunk)

    store = open_store(url)
    tracemalloc.start()
    blob = store.put(PseudoRandomReader(total, seed))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # VmHWM is this process image's peak RSS. (getrusage's ru_maxrss would not do: on Linux
    # it carries over the parent's peak through fork and exec.)
    try:
        with open("/proc/self/status") as status:
            hwm = [line for line in status if line.startswith("VmHWM:")]
        max_rss_kib = int(hwm[0].split()[1]) if hwm else None
    except OSError:
        max_rss_kib = None
    print(json.dumps({
        "sha256": blob.sha256,
        "size": blob.size,
        "created": blob.created,
        "expected": expected.hexdigest(),
        "peak_python_bytes": peak,
        "max_rss_kib": max_rss_kib,
    }))
    """
)


@pytest.mark.slow
def test_large_stream_constant_memory(store: ObjectStore, request: pytest.FixtureRequest) -> None:
    """300 MB through put() with the Python heap peaking far below the blob size.

    The put runs in a child process: the moto server lives in this process and keeps what it
    receives in memory, so measuring here would count the server, not the store.
    """
    total = 300 * 1000 * 1000
    if isinstance(store, LocalStore):
        url = str(store.root)
    else:
        assert isinstance(store, S3Store)
        url = request.getfixturevalue("make_s3_url")(bucket=store.bucket)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", _LARGE_PUT_SCRIPT, url, str(total), "20240401"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["size"] == total
    assert result["created"] is True
    assert result["sha256"] == result["expected"]
    assert result["peak_python_bytes"] < 64 * MIB, result
    # The whole process (interpreter, imports, buffers) stays far below the blob size as well.
    if result["max_rss_kib"] is not None:
        assert result["max_rss_kib"] * 1024 < 200 * MIB, result
    assert store.size(result["sha256"]) == total
    assert store.verify(result["sha256"])
    store.delete(result["sha256"])  # give the memory back to moto


# -- property -----------------------------------------------------------------------------------


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=4096))
def test_property_roundtrip_local(tmp_path: Path, data: bytes) -> None:
    # One store across examples is fine: content addressing makes repeats plain dedups.
    store = LocalStore(tmp_path / "prop")
    blob = store.put(io.BytesIO(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    assert read_all(store, blob.sha256) == data
    assert store.verify(blob.sha256)


# -- local specifics ----------------------------------------------------------------------------


def test_local_layout_and_first_use(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet" / "there"
    store = LocalStore(root)
    assert not root.exists()  # opening a store does not touch the disk
    assert list(store.iter_hashes()) == []
    assert store.exists(EMPTY_SHA256) is False
    assert store.sweep_temp(0) == 0
    blob = store.put(io.BytesIO(b"hello"))
    path = root / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    assert path.read_bytes() == b"hello"
    assert path.stat().st_mode & 0o777 == 0o444
    assert list((root / "tmp").iterdir()) == []
    assert store.url == root.as_uri()


def test_local_unwritable_root_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("I am not a directory")
    root = blocker / "blobs"
    store = LocalStore(root)
    with pytest.raises(StorageUnavailable) as info:
        store.put(io.BytesIO(b"x"))
    assert str(root) in info.value.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_local_unwritable_root_permissions(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(StorageUnavailable) as info:
            LocalStore(root).put(io.BytesIO(b"x"))
        assert str(root) in info.value.message
    finally:
        root.chmod(0o755)


def test_local_damaged_blob_of_wrong_size_is_replaced(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    blob = store.put(io.BytesIO(b"original"))
    path = tmp_path / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    path.chmod(0o644)
    path.write_bytes(b"orig")  # truncated by a disk fault
    again = store.put(io.BytesIO(b"original"))
    assert again.created is True
    assert store.verify(blob.sha256)


def test_local_sweep_temp(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put(io.BytesIO(b"make the directories"))
    old = tmp_path / "tmp" / "put-old.part"
    fresh = tmp_path / "tmp" / "put-fresh.part"
    old.write_bytes(b"crashed upload")
    fresh.write_bytes(b"upload in progress")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert store.sweep_temp(600) == 1
    assert not old.exists()
    assert fresh.exists()
    assert store.sweep_temp(0) == 1
    assert list(store.iter_hashes()) == [sha(b"make the directories")]


# -- S3 specifics -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_s3_endpoint_down_is_storage_unavailable_quickly() -> None:
    port = _free_port()  # bound then released: nothing listens there
    store = open_store(
        f"s3://dms-down?endpoint=127.0.0.1:{port}&secure=false&region=us-east-1"
        f"&access_key=ak&secret_key={SECRET}&retries=0&connect_timeout=1"
    )
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as info:
        store.put(io.BytesIO(b"x"))
    with pytest.raises(StorageUnavailable):
        store.exists(EMPTY_SHA256)
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in info.value.message
    assert SECRET not in info.value.message
    assert SECRET not in str(info.value.__cause__)


def test_s3_default_retries_still_fail_fast_enough() -> None:
    port = _free_port()
    store = open_store(
        f"s3://dms-down?endpoint=127.0.0.1:{port}&secure=false&access_key=a&secret_key=b"
    )
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        store.exists(EMPTY_SHA256)
    assert time.monotonic() - started < 5  # 3 retries with 0.2 s back-off, not minutes


def test_s3_url_and_repr_hide_secret(make_s3_url: Callable[..., str]) -> None:
    store = open_store(make_s3_url(secret_key=SECRET))
    assert isinstance(store, S3Store)
    assert SECRET not in store.url
    assert SECRET not in repr(store)
    assert "access_key" not in store.url


def test_s3_credentials_from_environment(
    make_s3_url: Callable[..., str], s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DMS_S3_ACCESS_KEY", "env-access")
    monkeypatch.setenv("DMS_S3_SECRET_KEY", "env-secret")
    store = open_store(f"s3://dms-env-creds?endpoint={s3_endpoint}&secure=false")
    assert store.put(io.BytesIO(b"via env")).created is True
    assert "env-secret" not in store.url


def test_s3_object_lock(make_s3_url: Callable[..., str], boto_s3: Any) -> None:
    store = open_store(make_s3_url(object_lock="GOVERNANCE:1"))
    assert isinstance(store, S3Store)
    assert store.url.endswith("object_lock=GOVERNANCE:1")
    small = store.put(io.BytesIO(b"locked letter"))
    big_data = random.Random(7).randbytes(11 * MIB)  # multipart upload
    big = store.put(io.BytesIO(big_data))

    config = boto_s3.get_object_lock_configuration(Bucket=store.bucket)
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    expected_until = datetime.now(UTC) + timedelta(days=1)
    for blob in (small, big):
        # moto 5.2 does not implement GetObjectRetention (GET ?retention answers with the
        # object body), so the retention is read back from the HEAD headers, as S3 sends them.
        head = boto_s3.head_object(Bucket=store.bucket, Key=s3_key(blob.sha256))
        assert head["ObjectLockMode"] == "GOVERNANCE"
        until = head["ObjectLockRetainUntilDate"]
        assert abs(until - expected_until) < timedelta(minutes=5)
    assert read_all(store, big.sha256) == big_data

    # Deleting through the store hides the key; the locked version itself stays.
    store.delete(small.sha256)
    assert not store.exists(small.sha256)
    versions = boto_s3.list_object_versions(Bucket=store.bucket, Prefix=s3_key(small.sha256))
    assert len(versions.get("Versions", [])) == 1
    version_id = versions["Versions"][0]["VersionId"]
    with pytest.raises(boto_s3.exceptions.ClientError) as info:
        boto_s3.delete_object(Bucket=store.bucket, Key=s3_key(small.sha256), VersionId=version_id)
    assert info.value.response["Error"]["Code"] == "AccessDenied"


def test_s3_object_lock_on_existing_unlocked_bucket_is_config_error(
    make_s3_url: Callable[..., str], boto_s3: Any
) -> None:
    plain = open_store(make_s3_url())
    assert isinstance(plain, S3Store)
    plain.put(io.BytesIO(b"creates the bucket without lock"))
    locked = open_store(make_s3_url(bucket=plain.bucket, object_lock="COMPLIANCE:30"))
    with pytest.raises(ConfigError) as info:
        locked.put(io.BytesIO(b"must not be written unprotected"))
    assert plain.bucket in info.value.message
    assert "object lock" in info.value.message


# -- URL parsing --------------------------------------------------------------------------------


def test_open_store_local_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = open_store(str(tmp_path / "a"))
    assert isinstance(plain, LocalStore)
    assert plain.root == tmp_path / "a"
    as_url = open_store((tmp_path / "b c").as_uri())
    assert isinstance(as_url, LocalStore)
    assert as_url.root == tmp_path / "b c"
    monkeypatch.chdir(tmp_path)
    relative = open_store("./x:y")
    assert isinstance(relative, LocalStore)
    assert relative.root == tmp_path / "x:y"


def test_open_store_s3_form(s3_endpoint: str) -> None:
    store = open_store(
        f"s3://dms-parse?endpoint={s3_endpoint}&secure=false&region=eu-central-1"
        "&access_key=ak&secret_key=s%26cr+t&object_lock=compliance:3650"
        "&connect_timeout=2.5&read_timeout=60&retries=1"
    )
    assert isinstance(store, S3Store)
    assert store.bucket == "dms-parse"
    assert store.secure is False
    assert store.region == "eu-central-1"
    assert store.object_lock is not None
    assert (store.object_lock.mode, store.object_lock.days) == ("COMPLIANCE", 3650)
    assert store._secret_key == "s&cr+t"  # percent-decoded, '+' kept


_ENDPOINT = "endpoint=127.0.0.1:9000&access_key=ak&secret_key=TOPSECRET"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://host/x", "unsupported scheme"),
        ("file://server/share", "host"),
        ("file:relative/path", "file://"),
        ("file:///tmp/x?y=1", "'?'"),
        ("s3://", "bucket name missing"),
        ("s3://dms-blobs", "endpoint"),
        (f"s3://Bad_Bucket?{_ENDPOINT}", "bucket name"),
        (f"s3://ab?{_ENDPOINT}", "bucket name"),
        (f"s3://dms-blobs/prefix?{_ENDPOINT}", "path"),
        (f"s3://key:pw@dms-blobs?{_ENDPOINT}", "credentials"),
        ("s3://dms-blobs?endpoint=http://h:9000&access_key=a&secret_key=TOPSECRET", "http://"),
        ("s3://dms-blobs?endpoint=h:99999&access_key=a&secret_key=TOPSECRET", "HOST:PORT"),
        ("s3://dms-blobs?endpoint=h/x&access_key=a&secret_key=TOPSECRET", "HOST:PORT"),
        (f"s3://dms-blobs?{_ENDPOINT}&secure=maybe", "secure"),
        (f"s3://dms-blobs?{_ENDPOINT}&endpont=x", "unknown parameter 'endpont'"),
        (f"s3://dms-blobs?{_ENDPOINT}&region=a&region=b", "twice"),
        (f"s3://dms-blobs?{_ENDPOINT}&region", "no value"),
        (f"s3://dms-blobs?{_ENDPOINT}&region=", "region is empty"),
        (f"s3://dms-blobs?{_ENDPOINT}&object_lock=GOVERNANCE", "MODE:DAYS"),
        (f"s3://dms-blobs?{_ENDPOINT}&object_lock=FOREVER:30", "GOVERNANCE or COMPLIANCE"),
        (f"s3://dms-blobs?{_ENDPOINT}&object_lock=GOVERNANCE:0", "at least 1"),
        (f"s3://dms-blobs?{_ENDPOINT}&object_lock=GOVERNANCE:-3", "MODE:DAYS"),
        (f"s3://dms-blobs?{_ENDPOINT}&retries=-1", "retries"),
        (f"s3://dms-blobs?{_ENDPOINT}&retries=1.5", "whole number"),
        (f"s3://dms-blobs?{_ENDPOINT}&connect_timeout=soon", "connect_timeout"),
        (f"s3://dms-blobs?{_ENDPOINT}#frag", "'#'"),
        ("s3://dms-blobs?endpoint=h:9000&access_key=ak", "secret_key missing"),
        ("s3://dms-blobs?endpoint=h:9000&secret_key=TOPSECRET", "access_key missing"),
    ],
)
def test_open_store_rejects_malformed_urls(
    url: str, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DMS_S3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("DMS_S3_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        open_store(url)
    message = info.value.message
    assert fragment in message
    assert "e.g." in message  # every message shows a working example
    assert "TOPSECRET" not in message


# -- batches (bulk import) ----------------------------------------------------------------------


def test_batch_puts_are_readable_deduplicated_and_synced(store: ObjectStore) -> None:
    datas = [f"Anlage {i}".encode() * (i + 1) for i in range(6)]
    batch = store.batch()
    blobs = [batch.put(io.BytesIO(data)) for data in datas]
    again = batch.put(io.BytesIO(datas[0]))  # the same bytes twice in one batch
    batch.sync()
    assert [b.sha256 for b in blobs] == [sha(d) for d in datas]
    assert all(b.created for b in blobs) and again.created is False
    for blob, data in zip(blobs, datas, strict=True):
        assert read_all(store, blob.sha256) == data
        assert store.verify(blob.sha256)
    batch.sync()  # nothing left to do: harmless


class _SyncLog:
    """Records each directory fsync of dms.storage.local (thread-safe enough: list.append)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.synced: list[Path] = []
        self.fail_first = fail_first

    def __call__(self, path: Path) -> None:
        if self.fail_first:
            self.fail_first -= 1
            raise OSError(5, "Input/output error")
        self.synced.append(Path(path))


def _dirs_of(store: LocalStore, sha256: str) -> set[Path]:
    level2 = store.root / sha256[:2] / sha256[2:4]
    return {level2, level2.parent}


def test_local_batch_fsyncs_each_changed_directory_once_at_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dms.storage.local as local

    log = _SyncLog()
    monkeypatch.setattr(local, "_fsync_dir", log)
    store = LocalStore(tmp_path / "blobs")
    batch = store.batch()
    # 40 blobs, among them two whose hashes share the first-level directory
    datas = [b"Akte %d" % i for i in range(40)]
    prefixes = {sha(d)[:2] for d in datas}
    datas.append(next(d for i in range(40, 5000) if sha(d := b"Akte %d" % i)[:2] in prefixes))
    blobs = [batch.put(io.BytesIO(data)) for data in datas]
    # The 256 first-level directories were made once, with one fsync of the root; no blob's
    # directory is synced before sync() ...
    assert log.synced == [store.root]
    assert len([p for p in store.root.iterdir() if p.name != "tmp"]) == 256
    log.synced.clear()
    batch.sync()
    # ... and then each changed directory exactly once, however many blobs share it.
    expected = set().union(*(_dirs_of(store, b.sha256) for b in blobs))
    assert len(expected) < 2 * len(blobs)  # shared directories ...
    assert sorted(log.synced) == sorted(expected)  # ... synced once each
    log.synced.clear()
    batch.sync()
    assert log.synced == []


def test_local_put_alone_is_durable_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dms.storage.local as local

    log = _SyncLog()
    monkeypatch.setattr(local, "_fsync_dir", log)
    store = LocalStore(tmp_path / "blobs")
    blob = store.put(io.BytesIO(b"Bescheid"))
    assert _dirs_of(store, blob.sha256) <= set(log.synced)


def test_local_batch_dedup_hit_syncs_the_directories_of_a_foreign_put(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch B finds a blob that batch A renamed but has not synced yet: B may commit rows
    naming it only after making its directories durable itself."""
    import dms.storage.local as local

    log = _SyncLog()
    monkeypatch.setattr(local, "_fsync_dir", log)
    store = LocalStore(tmp_path / "blobs")
    first, second = store.batch(), store.batch()
    first.put(io.BytesIO(b"Widerspruch"))
    log.synced.clear()
    found = second.put(io.BytesIO(b"Widerspruch"))
    assert found.created is False
    second.sync()
    assert sorted(log.synced) == sorted(_dirs_of(store, found.sha256))


def test_local_batch_sync_failure_is_reported_and_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dms.storage.local as local

    store = LocalStore(tmp_path / "blobs")
    batch = store.batch()
    blobs = [batch.put(io.BytesIO(b"Anhang %d" % i)) for i in range(5)]
    log = _SyncLog(fail_first=1)
    monkeypatch.setattr(local, "_fsync_dir", log)
    with pytest.raises(StorageUnavailable, match="fsync"):
        batch.sync()
    log.synced.clear()
    batch.sync()  # nothing was forgotten: every directory is synced on the retry
    assert set(log.synced) == set().union(*(_dirs_of(store, b.sha256) for b in blobs))


def test_local_batch_put_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "blobs")
    batch = store.batch()
    with pytest.raises(ConnectionResetError):
        batch.put(FailingReader(b"half an upload"))  # type: ignore[arg-type]
    kept = batch.put(io.BytesIO(b"the next one is fine"))
    batch.sync()
    assert list((store.root / "tmp").iterdir()) == []
    assert list(store.iter_hashes()) == [kept.sha256]


def test_local_put_recreates_a_removed_first_level_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dms.storage.local as local

    store = LocalStore(tmp_path / "blobs")
    data = b"Aktenvermerk"
    first_level = store.root / sha(data)[:2]
    store.put(io.BytesIO(b"set the store up"))
    first_level.rmdir()  # empty (the other blob lives elsewhere); tidied away by an operator
    log = _SyncLog()
    monkeypatch.setattr(local, "_fsync_dir", log)
    blob = store.put(io.BytesIO(data))
    assert read_all(store, blob.sha256) == data
    assert {store.root} | _dirs_of(store, blob.sha256) <= set(log.synced)
