"""`dms sign`: sign a PDF (PAdES) with a PKCS#12 file, a PKCS#11 token or a CSC service.

Thin: reads the secret (prompt or environment, never an option, so it stays out of shell
history and process lists), calls dms.signatures and writes OUT atomically.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import click

from dms.atomic_files import write_atomically
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
        try:
            write_atomically(out, signed)
        except OSError as exc:
            raise StorageUnavailable(f"{out}: nicht beschreibbar ({exc.strerror}) / "
                                     "not writable") from exc
        result = {"out": str(out), "level": chosen, "signer": holder, "visible": visible,
                  "size": len(signed), "sha256": hashlib.sha256(signed).hexdigest()}
        if as_json:
            emit_json(result)
        else:
            click.echo(f"Signiert / signed: {out} (PAdES {chosen}, {holder})")
