"""Child process for the large-file test: import one file as SYSTEM, then print the peak RSS
in MiB (a fresh process, so the figure is this import's alone)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

from dms.services import documents
from dms.services.context import SYSTEM, App
from dms.settings import load_settings


def main() -> None:
    case_id, path = int(sys.argv[1]), Path(sys.argv[2])
    app = App.from_settings(load_settings())
    with app.unit(SYSTEM) as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(added.version.sha256, added.version.size, round(peak_mib), flush=True)


if __name__ == "__main__":
    main()
