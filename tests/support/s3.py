"""Credentials of the loopback S3 test endpoint (moto); never real secrets."""

S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key-never-printed"
