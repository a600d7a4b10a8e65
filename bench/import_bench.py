"""Import benchmark: born-digital PDFs through the service layer vs. the raw I/O floor.

    .venv/bin/python bench/import_bench.py [--count 2000] [--kind text|letter] [--profile N]

Generates N unique PDFs of about 100 KB (not timed), then measures in one run:

* floor: per file, stream-copy the bytes into a directory while hashing SHA-256, fsync the
  file, insert one row into SQLite (WAL, synchronous=NORMAL, as dms uses) and commit. It runs
  before and after ours; the faster pass counts, so the ratio errs against us.
* ours: a fresh DMS_HOME (SQLite + directory store), migrated, defaults loaded, one file and
  case created as SYSTEM; then what `dms import --batch B` does, `documents.import_files`:
  find the case by Aktenzeichen; per group of B PDFs vet (sniff, PDF check) and store the
  files, four at a time, outside any transaction, through one object-store batch
  (`ObjectStore.batch()`: each blob file fsynced, each changed directory fsynced once per
  group), sync it, then write the group's rows (`documents.add_documents`: documents,
  versions, audit events, pending-text markers, each kind in one multi-row INSERT) in one
  transaction and commit; the next group is vetted and stored while this one's rows are
  written. That is the synchronous import ("stored"). Then `text_queue.process` reads and
  indexes every text, as `dms import` does right after (or the worker): the end-to-end time
  until everything is searchable ("indexed"). Both are reported against the floor of the same
  run. Latency per file: from the previous group's commit to its own group's commit. After
  the second floor pass, ours runs once more (stored only, fresh home); like the floor, the
  better of its two passes counts.

Prints a table and writes bench/results/import_<kind>.json (the default `text` kind writes
bench/results/import.json). Target (issue): ours at least 50% of the floor in docs/s.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import multiprocessing
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pikepdf

from dms.content.text_pdf import _pdf_string  # same WinAnsi encoding as the demo PDFs

import corpus
from benchlib import ROOT, machine_info, percentile, table, write_result

LINES_PER_PAGE = 52  # 14 pt leading from y=790 down to the bottom margin of A4
TARGET_KB = (90, 110)
TEXT_BYTES_PER_PAGE = 2080  # calibrated: one compressed page of generated text (check below)
SEED = 20261125


# --- PDF generation (not timed) ---------------------------------------------------------------


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )


def build_pdf(pages: list[list[str]], title: str, image: bytes | None = None) -> bytes:
    """Like dms.content.text_pdf.text_pdf, but every page has its own lines; optionally a
    letterhead image (RGB, 8 bit) on page one, for documents that are not all text."""
    pdf = pikepdf.new()
    font = _font(pdf)
    xobjects = pikepdf.Dictionary()
    if image is not None:
        side = int((len(image) // 3) ** 0.5)
        xobjects.Im1 = pdf.make_stream(
            image[: side * side * 3],
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=side,
            Height=side,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
        )
    for number, lines in enumerate(pages, start=1):
        ops = []
        if image is not None and number == 1:
            ops.append(b"q 90 0 0 90 460 740 cm /Im1 Do Q")
        ops += [b"BT", b"/F1 11 Tf", b"14 TL", b"56 790 Td"]
        ops += [_pdf_string(line) + b" Tj T*" for line in lines]
        ops += [_pdf_string(f"Seite {number} von {len(pages)}") + b" Tj", b"ET"]
        resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        if image is not None and number == 1:
            resources.XObject = xobjects
        pdf.pages.append(
            pikepdf.Page(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Page,
                    MediaBox=[0, 0, 595, 842],
                    Resources=resources,
                    Contents=pdf.make_stream(b"\n".join(ops)),
                )
            )
        )
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = title
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


_MAKER: corpus.TextMaker | None = None


def _init_worker() -> None:
    global _MAKER
    _MAKER = corpus.TextMaker(corpus.build_vocabulary())


def _letter_head(rng: random.Random, title: str) -> list[str]:
    sender = rng.choice(corpus.SENDERS)
    return [
        sender,
        f"Musterstraße {rng.randint(1, 120)}, {rng.randint(10000, 99999)} Musterstadt",
        "",
        "Landratsamt, Bauordnungsamt",
        "",
        f"Datum: {rng.randint(1, 28)}.{rng.randint(1, 12)}.2026",
        f"Betreff: {title}",
        "",
        "Sehr geehrte Damen und Herren,",
    ]


def make_document(args: tuple[int, str, Path]) -> tuple[str, int, int]:
    """Write PDF number `index` into `directory`; returns (name, bytes, pages)."""
    index, kind, directory = args
    assert _MAKER is not None
    rng = random.Random(SEED * 1_000_003 + index)
    title = f"{_MAKER.title(rng)} {index}"
    target = rng.randint(*TARGET_KB) * 1000
    if kind == "text":
        page_count = max(1, round((target - 1500) / TEXT_BYTES_PER_PAGE))
        image = None
    else:  # letter: two to four pages of text plus an embedded (incompressible) image
        page_count = rng.randint(2, 4)
        image_bytes = max(3, target - 1500 - page_count * TEXT_BYTES_PER_PAGE)
        image = rng.randbytes(image_bytes)
    words_per_page = LINES_PER_PAGE * 11
    lines = _letter_head(rng, title)
    lines += corpus.wrap(_MAKER.sentences(rng, words_per_page * page_count))
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    data = build_pdf(pages[:page_count] or [[title]], title, image)
    name = f"dok-{index:05d}.pdf"
    (directory / name).write_bytes(data)
    return name, len(data), len(pages[:page_count])


def generate(count: int, kind: str, directory: Path, jobs: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / f".complete-{kind}-{count}"
    if marker.exists():  # --corpus: the same seed makes the same files, so reuse them
        return [directory / f"dok-{index:05d}.pdf" for index in range(1, count + 1)]
    work = [(i, kind, directory) for i in range(1, count + 1)]
    with multiprocessing.Pool(jobs, initializer=_init_worker) as pool:
        made = pool.map(make_document, work, chunksize=16)
    marker.touch()
    return [directory / name for name, _, _ in made]


# --- floor ------------------------------------------------------------------------------------


def floor_run(sources: list[Path], target: Path) -> dict[str, Any]:
    """Copy + SHA-256 + fsync + one committed SQLite row per file: the least any import does."""
    target.mkdir(parents=True)
    db = sqlite3.connect(target / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, name TEXT, sha256 TEXT, size INT)")
    latencies = []
    started = time.perf_counter()
    for source in sources:
        t0 = time.perf_counter()
        digest = hashlib.sha256()
        size = 0
        with source.open("rb") as src, (target / source.name).open("wb") as out:
            while chunk := src.read(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO blobs (name, sha256, size) VALUES (?, ?, ?)",
            (source.name, digest.hexdigest(), size),
        )
        db.execute("COMMIT")
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    db.close()
    return {"seconds": elapsed, "latencies": latencies}


def paired_run(
    sources: list[Path], work: Path, batch: int, chunk: int = 100
) -> dict[str, float]:
    """Floor and ours (stored only) taking turns on chunks of ``chunk`` files, so that both
    see the same load on a shared machine; the order within a pair alternates."""
    target = work / "floor-paired"
    target.mkdir(parents=True)
    db = sqlite3.connect(target / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, name TEXT, sha256 TEXT, size INT)")

    def floor_chunk(part: list[Path]) -> None:
        for source in part:
            digest = hashlib.sha256()
            size = 0
            with source.open("rb") as src, (target / source.name).open("wb") as out:
                while data := src.read(1024 * 1024):
                    digest.update(data)
                    out.write(data)
                    size += len(data)
                out.flush()
                os.fsync(out.fileno())
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO blobs (name, sha256, size) VALUES (?, ?, ?)",
                       (source.name, digest.hexdigest(), size))
            db.execute("COMMIT")

    app, reference = prepare_home(work / "home-paired")
    spent = {"floor": 0.0, "ours": 0.0}
    for number, start in enumerate(range(0, len(sources), chunk)):
        part = sources[start : start + chunk]
        steps = [("floor", lambda p=part: floor_chunk(p)),
                 ("ours", lambda p=part: import_all(app, reference, p, batch))]
        for name, step in steps if number % 2 == 0 else reversed(steps):
            t0 = time.perf_counter()
            step()
            spent[name] += time.perf_counter() - t0
    db.close()
    app.dispose()
    return spent


# --- ours -------------------------------------------------------------------------------------


def prepare_home(home: Path) -> tuple[Any, str]:
    """Fresh DMS_HOME: migrated SQLite, defaults, one file and one case (not timed)."""
    from dms.migrations import upgrade
    from dms.services import fileplan, files, users
    from dms.services.context import SYSTEM, App
    from dms.services.demo import load_defaults
    from dms.settings import load_settings

    home.mkdir(parents=True)
    settings = load_settings({"DMS_HOME": str(home), "DMS_CONFIG_DIR": str(ROOT / "config")})
    upgrade(settings.effective_database_url)
    app = App.from_settings(settings)
    with app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        node = fileplan.node_by_code(ctx, "600")
        office = users.office_by_code(ctx, "63")
        file = files.create_file(
            ctx, plan_node_id=node.id, office_id=office.id, title="Benchmark Bauanträge"
        )
        case = files.create_case(ctx, file_id=file.id, title="Massenimport")
        reference = case.reference
    return app, reference


def import_all(app: Any, reference: str, sources: list[Path], batch: int) -> list[float]:
    """What `dms import PATH... --case AZ --batch B` does: ``documents.import_files`` (check
    the case; per group of B files vet and store them side by side through one object-store
    batch, sync it, write the group's rows in one transaction; the next group is stored while
    this one's rows are written). Returns, per file, the time from the previous group's
    commit to its own group's commit (the files of a group commit together)."""
    from dms.services import documents
    from dms.services.context import SYSTEM

    latencies: list[float] = []
    last = time.perf_counter()
    imports = documents.import_files(app, SYSTEM, reference, sources, batch=batch)
    for done, imported in enumerate(imports, start=1):
        if not imported.ok:
            assert imported.error is not None
            raise imported.error
        if done % batch == 0 or done == len(sources):
            now = time.perf_counter()
            latencies += [now - last] * (done - len(latencies))
            last = now
    return latencies


def ours_run(sources: list[Path], home: Path, batch: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from dms.models import Document, Version
    from dms.services import text_queue

    app, reference = prepare_home(home)
    started = time.perf_counter()
    latencies = import_all(app, reference, sources, batch)
    stored = time.perf_counter() - started
    with app.sessions() as db:
        queued = db.scalar(
            select(func.count()).select_from(_table("search_texts"))
            .where(_column("pending_version_id").is_not(None))
        )
    t0 = time.perf_counter()
    indexed_now = text_queue.process(app, workers=2)  # as `dms import` does for many files
    indexing = time.perf_counter() - t0
    with app.sessions() as db:
        documents = db.scalar(select(func.count()).select_from(Document))
        grouped = select(Version.text_method, func.count()).group_by(Version.text_method)
        methods = {method: number for method, number in db.execute(grouped).all()}
        indexed = db.execute(select(func.count()).select_from(_table("search_fts"))).scalar()
    app.dispose()
    if documents != len(sources) or indexed != len(sources) or queued != len(sources):
        raise SystemExit(
            f"import incomplete: {documents} documents, {queued} queued, {indexed} indexed"
        )
    return {
        "seconds": stored,
        "indexing_seconds": indexing,
        "indexed": indexed_now,
        "latencies": latencies,
        "text_methods": methods,
    }


def stored_pass(sources: list[Path], home: Path, batch: int) -> dict[str, Any]:
    """The synchronous import alone into a fresh home (no indexing afterwards)."""
    app, reference = prepare_home(home)
    started = time.perf_counter()
    latencies = import_all(app, reference, sources, batch)
    seconds = time.perf_counter() - started
    app.dispose()
    return {"seconds": seconds, "latencies": latencies}


def _table(name: str) -> Any:
    from sqlalchemy import table

    return table(name)


def _column(name: str) -> Any:
    from sqlalchemy import column

    return column(name)


def profile_ours(sources: list[Path], home: Path, batch: int, top: int = 30) -> dict[str, Any]:
    """cProfile of the synchronous import alone (the part measured against the floor)."""
    app, reference = prepare_home(home)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    import_all(app, reference, sources, batch)
    profiler.disable()
    total = time.perf_counter() - started
    app.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():
        rows.append((cumtime, tottime, calls, f"{filename}:{line}({function})"))
    rows.sort(reverse=True)
    per_doc = 1000.0 / len(sources)
    return {
        "documents": len(sources),
        "total_ms_per_doc_under_profiler": total * per_doc,
        "top_cumulative_ms_per_doc": [
            {"function": f, "cum_ms": c * per_doc, "self_ms": t * per_doc, "calls": n}
            for c, t, n, f in rows[:top]
        ],
    }


# --- main -------------------------------------------------------------------------------------


def summarise(label: str, seconds: float, count: int, total_bytes: int, lat: list[float]) -> dict:
    return {
        "label": label,
        "seconds": seconds,
        "docs_per_s": count / seconds,
        "mb_per_s": total_bytes / 1e6 / seconds,
        "latency_ms_median": statistics.median(lat) * 1000,
        "latency_ms_p95": percentile(lat, 95) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="PDFs to import (default 2000)")
    parser.add_argument(
        "--kind",
        choices=("text", "letter"),
        default="text",
        help="text: ~100 KB of pure text (~45 pages, the issue's spec); letter: 2-4 pages of "
        "text plus an embedded image, also ~100 KB",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to put temp files")
    parser.add_argument("--corpus", type=Path, default=None, help="keep the generated PDFs in "
                        "this directory and reuse them next time (same --count and --kind)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="afterwards, cProfile N more imports"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="generator procs")
    parser.add_argument("--batch", type=int, default=50, help="files per transaction, as "
                        "`dms import --batch` (default 50)")
    parser.add_argument("--output", default=None, help="results/<OUTPUT>.json")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="dms-import-bench-", dir=args.workdir))
    try:
        return _run(args, work)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path) -> int:
    t0 = time.perf_counter()
    corpus_dir = args.corpus / f"{args.kind}-{args.count}" if args.corpus else work / "src"
    sources = generate(args.count, args.kind, corpus_dir, args.jobs)
    sizes = [p.stat().st_size for p in sources]
    total_bytes = sum(sizes)
    print(
        f"generated {len(sources)} PDFs ({args.kind}) in {time.perf_counter() - t0:.1f} s: "
        f"mean {statistics.mean(sizes) / 1000:.1f} KB, min {min(sizes) / 1000:.1f}, "
        f"max {max(sizes) / 1000:.1f}; total {total_bytes / 1e6:.1f} MB; work dir {work}",
        flush=True,
    )

    floor1 = floor_run(sources, work / "floor1")
    shutil.rmtree(work / "floor1")
    print(f"floor pass 1: {len(sources) / floor1['seconds']:.1f} docs/s", flush=True)
    ours = ours_run(sources, work / "home", args.batch)
    print(f"ours: {len(sources) / ours['seconds']:.1f} docs/s stored, "
          f"{len(sources) / (ours['seconds'] + ours['indexing_seconds']):.1f} docs/s "
          "until indexed", flush=True)
    shutil.rmtree(work / "home")
    floor2 = floor_run(sources, work / "floor2")
    shutil.rmtree(work / "floor2")
    print(f"floor pass 2: {len(sources) / floor2['seconds']:.1f} docs/s", flush=True)
    floor = min((floor1, floor2), key=lambda r: r["seconds"])
    # A second pass of ours (stored only, fresh home) after the second floor pass: both sides
    # get their better pass, so a burst of load from elsewhere favours neither.
    again = stored_pass(sources, work / "home2", args.batch)
    shutil.rmtree(work / "home2")
    print(f"ours pass 2 (stored only): {len(sources) / again['seconds']:.1f} docs/s",
          flush=True)
    ours_passes = [len(sources) / ours["seconds"], len(sources) / again["seconds"]]
    if again["seconds"] < ours["seconds"]:
        ours = {**ours, "seconds": again["seconds"], "latencies": again["latencies"]}
    paired = paired_run(sources, work / "paired", args.batch)
    shutil.rmtree(work / "paired")
    paired_ratio = paired["floor"] / paired["ours"]
    print(f"paired (floor and ours taking turns per 100 files): floor "
          f"{len(sources) / paired['floor']:.1f} docs/s, ours stored "
          f"{len(sources) / paired['ours']:.1f} docs/s: {paired_ratio:.3f} of the floor",
          flush=True)

    n = len(sources)
    floor_s = summarise("floor (copy+sha256+fsync+sqlite row)", floor["seconds"], n,
                        total_bytes, floor["latencies"])
    ours_s = summarise(f"ours, stored (import_files, {args.batch} per commit)", ours["seconds"],
                       n, total_bytes, ours["latencies"])
    end_seconds = ours["seconds"] + ours["indexing_seconds"]
    end_s = summarise("ours, stored + text indexed (end to end)", end_seconds, n, total_bytes,
                      [end_seconds / n])
    ratio = ours_s["docs_per_s"] / floor_s["docs_per_s"]
    end_ratio = end_s["docs_per_s"] / floor_s["docs_per_s"]
    rows = [
        [s["label"], s["docs_per_s"], s["mb_per_s"], s["latency_ms_median"], s["latency_ms_p95"],
         s["docs_per_s"] / floor_s["docs_per_s"]]
        for s in (floor_s, ours_s, end_s)
    ]
    print()
    headers = [f"import of {n} PDFs ({args.kind})", "docs/s", "MB/s", "median ms", "p95 ms",
               "of floor"]
    print(table(headers, rows))
    verdict = "meets" if ratio >= 0.5 else "misses"
    print(f"\nratio stored/floor: {ratio:.3f} ({ratio * 100:.1f}% of the floor; target >= 50%: "
          f"{verdict}); end to end until indexed: {end_ratio:.3f} ({end_ratio * 100:.1f}%)")

    profile = None
    if args.profile:
        extra = sources[: args.profile]
        print(f"\nprofiling {len(extra)} imports (cProfile; slower than the timed run) ...")
        profile = profile_ours(extra, work / "home-profile", args.batch)

    result = {
        "benchmark": "import",
        "machine": machine_info(),
        "parameters": {
            "count": n,
            "kind": args.kind,
            "mean_kb": statistics.mean(sizes) / 1000,
            "min_kb": min(sizes) / 1000,
            "max_kb": max(sizes) / 1000,
            "total_mb": total_bytes / 1e6,
            "floor": "stream copy + SHA-256 + fsync(file) + one SQLite row committed per file; "
            "SQLite WAL, synchronous=NORMAL (as dms); best of a pass before and after ours "
            "(ours, stored: best of its pass before and after the second floor pass)",
            "ours": "fresh SQLite + directory store; as `dms import --batch B`: "
            "documents.import_files as SYSTEM (per B PDFs: vet and store 4 at a time through "
            "one store batch, sync it, documents.add_documents in one transaction; the next "
            "group stored while this one's rows are written); then text_queue.process until "
            "every text is indexed",
            "batch": args.batch,
            "workdir": str(work),
        },
        "floor": floor_s,
        "floor_passes_docs_per_s": [n / floor1["seconds"], n / floor2["seconds"]],
        "ours_stored_passes_docs_per_s": ours_passes,
        "ours": ours_s,
        "ours_end_to_end": end_s,
        "indexing_seconds": ours["indexing_seconds"],
        "ours_text_methods": ours["text_methods"],
        "ratio_docs_per_s": ratio,
        "ratio_end_to_end_docs_per_s": end_ratio,
        "paired": {
            "what": "floor and ours (stored) taking turns on chunks of 100 files, same load",
            "floor_docs_per_s": n / paired["floor"],
            "ours_stored_docs_per_s": n / paired["ours"],
            "ratio_docs_per_s": paired_ratio,
        },
        "target_ratio": 0.5,
        "meets_target": ratio >= 0.5,
        "meets_target_end_to_end": end_ratio >= 0.5,
        "profile": profile,
    }
    name = args.output or ("import" if args.kind == "text" else f"import_{args.kind}")
    print(f"\nwrote {write_result(name, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
