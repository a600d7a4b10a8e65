"""Child process for the bulk-import crash test: `dms import`'s path (documents.import_files)
over every file of a directory in small groups, printing each document id once its group has
committed. Settings come from DMS_* variables."""

from __future__ import annotations

import sys
from pathlib import Path

from dms.services import documents
from dms.services.context import SYSTEM, App
from dms.settings import load_settings


def main() -> None:
    reference, folder, batch = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    app = App.from_settings(load_settings())
    print("started", flush=True)
    paths = sorted(folder.iterdir())
    for imported in documents.import_files(app, SYSTEM, reference, paths, batch=batch):
        if not imported.ok:
            raise SystemExit(f"{imported.path}: {imported.error}")
        print(imported.document_id, flush=True)


if __name__ == "__main__":
    main()
