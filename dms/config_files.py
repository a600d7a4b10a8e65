"""Reading the TOML files in config/ with one wording for the two ways they go wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from dms.errors import ConfigError


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; ConfigError (exit 7) naming the file when it is missing or broken."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Konfigurationsdatei fehlt: {path} / missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: kein gültiges TOML ({exc}) / invalid TOML") from exc
    except OSError as exc:
        raise ConfigError(f"{path} kann nicht gelesen werden: {exc} / unreadable") from exc
