"""Fixtures for the extraction, classification and routing tests: the shipped config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ingest.extract import CorrespondentRegister, ReferencePattern, load_register
from ingest.routing import RoutingConfig, load_routing_from_config

CONFIG = Path(__file__).resolve().parents[2] / "config"


def _toml(name: str) -> dict:
    return tomllib.loads((CONFIG / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def offices() -> dict[str, str]:
    return {o["code"]: o["name"] for o in _toml("offices.toml")["office"]}


@pytest.fixture(scope="session")
def plan_codes() -> set[str]:
    return {n["code"] for n in _toml("fileplan.toml")["node"]}


@pytest.fixture(scope="session")
def register() -> CorrespondentRegister:
    return load_register(CONFIG / "correspondents.toml")


@pytest.fixture(scope="session")
def pattern(plan_codes: set[str]) -> ReferencePattern:
    return ReferencePattern("{plan}-{seq:04d}/{year}", "{file}-{seq:02d}", plan_codes)


@pytest.fixture(scope="session")
def routing() -> RoutingConfig:
    return load_routing_from_config(CONFIG)
