"""Fixtures for the object-store tests: a real S3 HTTP endpoint (moto) and both backends.

The S3 endpoint is moto's server speaking real HTTP on loopback, so the minio client, its
signing, multipart uploads and error handling are exercised exactly as against MinIO; only the
server is a stand-in (the MinIO binary cannot be installed here, see DESIGN.md "Real parts").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dms.storage import ObjectStore, open_store
from tests.support.s3 import S3_ACCESS_KEY, S3_SECRET_KEY


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
