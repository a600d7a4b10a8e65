"""Settings from the environment (DMS_*) and an optional TOML file, validated once at start.

Why one object: every entry point (CLI, web, worker, tests) must agree on where the database
and the blobs live; reading os.environ ad hoc in several places is how two processes end up
writing to different stores.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from dms.errors import ConfigError

DEFAULT_HOME = Path.home() / ".dms"


class Settings(BaseModel):
    """Runtime configuration; every field may be set as DMS_<NAME> or in $DMS_HOME/dms.toml."""

    home: Path = Field(default=DEFAULT_HOME, description="Data directory of the embedded default")
    database_url: str = ""
    storage_url: str = ""
    config_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "config")
    # Aktenzeichen schemes: Python format strings over the named fields shown.
    file_reference_scheme: str = "{plan}-{seq:04d}/{year}"
    case_reference_scheme: str = "{file}-{seq:02d}"
    max_extract_chars: int = 2_000_000
    quality_sample_share: float = Field(default=0.1, ge=0.0, le=1.0)  # TR-RESISCAN sampling
    max_upload_bytes: int = 4 * 1024**3
    session_hours: int = 10
    cookie_secure: bool = False
    timezone: str = "Europe/Berlin"  # dates without a zone (deadlines, timers) are read here
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("file_reference_scheme")
    @classmethod
    def _file_scheme_fields(cls, value: str) -> str:
        _check_scheme(value, {"plan": "022.31", "seq": 4, "year": 2026})
        return value

    @field_validator("case_reference_scheme")
    @classmethod
    def _case_scheme_fields(cls, value: str) -> str:
        _check_scheme(value, {"file": "022.31-0004/2026", "seq": 1, "year": 2026})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from exc
        return value

    @property
    def tz(self):  # type: ignore[no-untyped-def]
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'dms.sqlite3'}"

    @property
    def effective_storage_url(self) -> str:
        return self.storage_url or str(self.home / "blobs")


def _check_scheme(scheme: str, sample: dict[str, Any]) -> None:
    try:
        scheme.format(**sample)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"reference scheme {scheme!r} is invalid ({exc}); allowed fields: "
            + ", ".join("{" + k + "}" for k in sample)
        ) from exc


_FIELDS = tuple(Settings.model_fields)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Merge TOML file (DMS_CONFIG or $DMS_HOME/dms.toml) and DMS_* variables; env wins."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("DMS_HOME", str(DEFAULT_HOME))).expanduser()
    values: dict[str, Any] = {}
    toml_path = Path(env["DMS_CONFIG"]) if env.get("DMS_CONFIG") else home / "dms.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"Konfigurationsdatei {toml_path} ist kein gültiges TOML: {exc}"
            ) from exc
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ConfigError(
                f"Unbekannte Einstellung(en) in {toml_path}: {', '.join(unknown)}. "
                f"Erlaubt / allowed: {', '.join(_FIELDS)}"
            )
        values.update(data)
    for name in _FIELDS:
        key = f"DMS_{name.upper()}"
        if key in env and env[key] != "":
            values[name] = env[key]
    values["home"] = home
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"DMS_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"Ungültige Einstellungen / invalid settings: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
