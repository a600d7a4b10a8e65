"""Signature validation benchmark: `dms.signatures.validation.validate_pdf` beside
`pyhanko sign validate` on the same signed PDFs, in the same run.

    .venv/bin/python bench/verify_bench.py [--rounds 5] [--per-kind 4]

The set (built before timing): a throw-away test PKI (tests/signatures/pki.py: certomancer,
TSA/OCSP/CRL on loopback) and `--per-kind` PDFs of each kind: B-B (alice), B-T (seal), B-LT
(alice, validation data embedded), two signatures (alice then bob), and a revoked signer.

Two modes, each measured for both tools, alternating, fastest of `--rounds` passes:

* online: revocation fetched from the loopback OCSP responder / CRL (pyHanko:
  default hard-fail mode; ours: soft-fail, falling back on embedded data);
* offline: no fetching (pyHanko: `--no-revocation-check`; ours: `allow_fetching=False`,
  which still reads the embedded revocation data).

The reference is pyHanko's own click command run in-process (CliRunner), so Python start-up
(~1 s per call, which a real `pyhanko` shell call pays) is excluded for both. Ours does more
per file than `sign validate` (report, reasons, revocation classification, a second pass for
expired certificates with a time stamp), so the ratio says what that costs.
Prints a table and writes bench/results/verify.json.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ensure_repo_on_path, machine_info, table, write_result

ensure_repo_on_path()

from click.testing import CliRunner  # noqa: E402
from pyhanko.cli import cli_root  # noqa: E402
from tests.signatures.pki import SigningPki, build_pki, sample_pdf, sign_with_pyhanko  # noqa: E402

from dms.signatures.trust import load_trust_dir  # noqa: E402
from dms.signatures.validation import validate_pdf  # noqa: E402

KINDS = ("B-B", "B-T", "B-LT", "two signatures", "revoked")


def _make_set(pki: SigningPki, folder: Path, per_kind: int) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for i in range(per_kind):
        pdf = sample_pdf(pages=1 + i % 3, text=f"Bescheid Nr. {i}")
        made = {
            "B-B": lambda pdf=pdf: sign_with_pyhanko(pdf, pki.alice, "B-B"),
            "B-T": lambda pdf=pdf: sign_with_pyhanko(pdf, pki.seal, "B-T"),
            "B-LT": lambda pdf=pdf: sign_with_pyhanko(pdf, pki.alice, "B-LT"),
            "two signatures": lambda pdf=pdf: sign_with_pyhanko(
                sign_with_pyhanko(pdf, pki.alice, "B-B"), pki.bob, "B-B"),
            "revoked": lambda pdf=pdf: sign_with_pyhanko(pdf, pki.revoked, "B-B"),
        }
        for kind in KINDS:
            path = folder / f"{kind.replace(' ', '-')}-{i}.pdf"
            path.write_bytes(made[kind]())
            files.append((kind, path))
    return files


def _pyhanko_pass(files: list[tuple[str, Path]], root: Path, online: bool) -> tuple[float, int]:
    runner = CliRunner()
    ok = 0
    start = time.perf_counter()
    for _kind, path in files:
        args = ["sign", "validate", "--trust", str(root), "--trust-replace"]
        if not online:
            args.append("--no-revocation-check")
        result = runner.invoke(cli_root, [*args, str(path)])
        ok += result.exit_code == 0
    return time.perf_counter() - start, ok


def _ours_pass(files: list[tuple[str, Path]], store: Any, online: bool) -> tuple[float, int]:
    ok = 0
    blobs = [path.read_bytes() for _kind, path in files]
    start = time.perf_counter()
    for blob in blobs:
        report = validate_pdf(blob, trust=store, allow_fetching=online)
        ok += report.verdict != "invalid"
    return time.perf_counter() - start, ok


def bench_validation(rounds: int = 5, per_kind: int = 4) -> dict[str, Any]:
    """Validations per second, ours and `pyhanko sign validate`, online and offline."""
    for name in ("pyhanko", "pyhanko_certvalidator", "pyhanko.cli"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp, \
            build_pki(Path(tmp) / "pki") as pki:
        folder = Path(tmp) / "files"
        folder.mkdir()
        files = _make_set(pki, folder, per_kind)
        store = load_trust_dir(pki.trust_dir)
        modes: dict[str, Any] = {}
        for online in (True, False):
            best = {"ours": float("inf"), "pyhanko": float("inf")}
            accepted: dict[str, int] = {}
            for _ in range(rounds):
                seconds, ok = _ours_pass(files, store, online)
                best["ours"] = min(best["ours"], seconds)
                accepted["ours"] = ok
                seconds, ok = _pyhanko_pass(files, pki.root_path, online)
                best["pyhanko"] = min(best["pyhanko"], seconds)
                accepted["pyhanko"] = ok
            n = len(files)
            ours_rate, ref_rate = n / best["ours"], n / best["pyhanko"]
            modes["online" if online else "offline"] = {
                "files": n,
                "ours_per_s": round(ours_rate, 2),
                "pyhanko_per_s": round(ref_rate, 2),
                "ratio": round(ours_rate / ref_rate, 3),
                "ours_ms_per_file": round(1000 * best["ours"] / n, 1),
                "pyhanko_ms_per_file": round(1000 * best["pyhanko"] / n, 1),
                # files judged not invalid (ours) / exit 0 (pyHanko): the verdicts must agree
                "accepted": accepted,
            }
    return {
        "benchmark": "signature validation",
        "kinds": list(KINDS),
        "per_kind": per_kind,
        "rounds": rounds,
        "modes": modes,
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-kind", type=int, default=4)
    parser.add_argument("--output", default="verify")
    args = parser.parse_args(argv)
    result = bench_validation(rounds=args.rounds, per_kind=args.per_kind)
    rows = [
        [mode, r["files"], r["pyhanko_per_s"], r["ours_per_s"], f"{r['ratio']:.2f}x",
         f"{r['accepted']['pyhanko']}/{r['accepted']['ours']}"]
        for mode, r in result["modes"].items()
    ]
    print(table(["mode", "files", "pyhanko sign validate /s", "ours /s", "ratio",
                 "accepted (pyhanko/ours)"], rows))
    path = write_result(args.output, result)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
