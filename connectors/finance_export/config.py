"""config/finance_export.toml: which format the export writes and where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.finance_export.base import FileExporter
from connectors.finance_export.csv_export import CsvExporter
from connectors.finance_export.structured import JsonExporter, XmlExporter
from dms.config_files import read_toml
from dms.errors import ConfigError, InvalidInput

FORMATS: dict[str, type[FileExporter]] = {
    "csv": CsvExporter,
    "json": JsonExporter,
    "xml": XmlExporter,
}
CONFIG_FILE = "finance_export.toml"


@dataclass(frozen=True)
class ExportConfig:
    format: str
    directory: Path


def load_export_config(config_dir: Path, home: Path) -> ExportConfig:
    """Format and target directory; a relative directory is taken below ``$DMS_HOME``."""
    path = config_dir / CONFIG_FILE
    data = read_toml(path)
    fmt = str(data.get("format", "csv")).lower()
    if fmt not in FORMATS:
        raise ConfigError(f"{path}: format {fmt!r} unbekannt; erlaubt / allowed: "
                          f"{', '.join(FORMATS)}")
    directory = Path(str(data.get("directory", "finance-export"))).expanduser()
    if not directory.is_absolute():
        directory = home / directory
    return ExportConfig(fmt, directory)


def exporter_for(fmt: str, directory: Path) -> FileExporter:
    try:
        return FORMATS[fmt.lower()](directory)
    except KeyError:
        raise InvalidInput(f"Exportformat {fmt!r} unbekannt; erlaubt / allowed: "
                           f"{', '.join(FORMATS)}") from None
