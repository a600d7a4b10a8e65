"""`dms sign`: sign a PDF (PAdES) with a PKCS#12 file, a PKCS#11 token or a CSC service.

Thin: reads the secret (prompt or environment, never an option, so it stays out of shell
history and process lists), calls dms.signatures and writes OUT atomically.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json
from dms.errors import InvalidInput, StorageUnavailable


def _secret(key_spec: str) -> str | None:
    """PIN for tokens and remote services, passphrase for files: environment first, else a
    hidden prompt (the value is never echoed or logged)."""
    is_pin = key_spec.startswith(("pkcs11:", "csc:"))
    env = "DMS_KEY_PIN" if is_pin else "DMS_KEY_PASSPHRASE"
    value = os.environ.get(env)
    if value is not None:
        return value
    label = "PIN" if is_pin else "Passphrase"
    try:
        return str(click.prompt(f"{label} für {_shown(key_spec)}", hide_input=True,
                                default="", show_default=False, err=True)) or None
    except click.Abort:
        raise InvalidInput(f"Keine {label} angegeben (Eingabe oder {env}) / no {label} "
                           f"given") from None


def _shown(key_spec: str) -> str:
    return key_spec.split("?", 1)[0] if key_spec.startswith(("pkcs11:", "csc:")) else \
        Path(key_spec).name


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one, never half."""
    directory = path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise StorageUnavailable(f"{directory}: nicht beschreibbar ({exc.strerror}) / "
                                 f"not writable") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def register(main: click.Group, json_option: Any) -> None:
    from dms.signatures.config import LEVELS

    @main.command("sign")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--key", "key_spec", required=True,
                  help="PKCS#12-Datei, pkcs11:-URI oder csc:URL?credential=ID")
    @click.option("--level", type=click.Choice(LEVELS), default=None,
                  help="PAdES-Stufe (Vorgabe aus signatures.toml)")
    @click.option("--visible", is_flag=True, help="Sichtbarer Signaturvermerk")
    @click.option("--name", default=None, help="Name im Vermerk (sonst aus dem Zertifikat)")
    @click.option("--role", default=None, help="Funktion im Vermerk, z. B. Sachbearbeitung")
    @click.option("--office", default=None, help="Amt im Vermerk")
    @click.option("--page", type=int, default=None, help="Seite des Vermerks (1, 2, ...; -1 = "
                  "letzte)")
    @click.option("--reason", default=None, help="Grund der Signatur")
    @click.option("--tsa", default=None, help="URL des Zeitstempeldienstes (statt Konfiguration)")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="signatures.toml (sonst DMS_SIGNATURES_CONFIG / config/)")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @json_option
    def sign(file: Path, key_spec: str, level: str | None, visible: bool, name: str | None,
             role: str | None, office: str | None, page: int | None, reason: str | None,
             tsa: str | None, config_path: Path | None, out: Path, as_json: bool) -> None:
        """PDF elektronisch signieren (PAdES B-B, B-T, B-LT, B-LTA), inkrementell."""
        from dms.signatures import StampSpec, load_signature_settings, open_key, sign_pdf

        settings = load_signature_settings(config_path).with_tsa(tsa)
        chosen = level or settings.default_level
        pdf = file.read_bytes()
        with open_key(key_spec, _secret(key_spec),
                      pkcs11_module=settings.pkcs11_module) as key:
            stamp = None
            if visible:
                stamp = StampSpec(name=name or key.holder_name, role=role, office=office,
                                  page=page if page is not None else settings.stamp_page)
            signed = sign_pdf(pdf, key, level=chosen, stamp=stamp,  # type: ignore[arg-type]
                              reason=reason, settings=settings)
            holder = key.holder_name
        write_atomically(out, signed)
        result = {"out": str(out), "level": chosen, "signer": holder, "visible": visible,
                  "size": len(signed), "sha256": hashlib.sha256(signed).hexdigest()}
        if as_json:
            emit_json(result)
        else:
            click.echo(f"Signiert / signed: {out} (PAdES {chosen}, {holder})")
