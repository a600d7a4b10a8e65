"""Fixtures for the object-store tests: a real S3 HTTP endpoint (moto) and both backends.

The S3 endpoint is moto's server speaking real HTTP on loopback, so the minio client, its
signing, multipart uploads and error handling are exercised exactly as against MinIO; only the
server is a stand-in (the MinIO binary cannot be installed here, see DESIGN.md "Real parts").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dms.storage import ObjectStore, open_store

S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key-never-printed"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 for the session; yield "127.0.0.1:PORT".

    Port 0 lets the kernel pick a free port atomically (no probe-then-bind race between
    parallel test runs); the real port is read back from the bound socket.
    """
    from moto.server import ThreadedMotoServer

    # One log line per request on stderr would drown real failures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def make_s3_url(s3_endpoint: str) -> Callable[..., str]:
    """Return a factory for store URLs pointing at a fresh, uniquely named bucket."""

    def make(bucket: str | None = None, **extra: str) -> str:
        bucket = bucket or f"dms-test-{uuid.uuid4().hex}"
        params = {
            "endpoint": s3_endpoint,
            "secure": "false",
            "region": "us-east-1",
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
        }
        params.update(extra)
        return f"s3://{bucket}?" + "&".join(f"{k}={v}" for k, v in params.items())

    return make


@pytest.fixture
def boto_s3(s3_endpoint: str) -> Any:
    """A boto3 client on the same endpoint, for looking behind the store's back."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://{s3_endpoint}",
        region_name="us-east-1",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """The same tests run against both backends through the public factory."""
    if request.param == "local":
        return open_store(str(tmp_path / "blobs"))
    make_s3_url = request.getfixturevalue("make_s3_url")
    return open_store(make_s3_url())
