"""Child process for the large-file test: import one file as SYSTEM, then print the peak RSS
in MiB of this process."""

from __future__ import annotations

import sys
from pathlib import Path

from dms.services import documents
from dms.services.context import SYSTEM, App
from dms.settings import load_settings


def _peak_rss_kib() -> int:
    """VmHWM of this process: getrusage's ru_maxrss is inherited from the parent on Linux,
    so it would report the test runner's peak instead of this import's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    case_id, path = int(sys.argv[1]), Path(sys.argv[2])
    app = App.from_settings(load_settings())
    with app.unit(SYSTEM) as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    peak_mib = _peak_rss_kib() / 1024
    print(added.version.sha256, added.version.size, round(peak_mib), flush=True)


if __name__ == "__main__":
    main()
