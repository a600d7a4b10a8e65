"""Child process for the crash test: import every file of a directory, one transaction each,
printing the document id after each commit. Settings come from DMS_* variables."""

from __future__ import annotations

import sys
from pathlib import Path

from dms.services import documents
from dms.services.context import SYSTEM, App
from dms.settings import load_settings


def main() -> None:
    case_id, folder = int(sys.argv[1]), Path(sys.argv[2])
    app = App.from_settings(load_settings())
    for path in sorted(folder.iterdir()):
        with app.unit(SYSTEM) as ctx:
            added = documents.add_document(ctx, case_id=case_id, source=path,
                                           filename=path.name)
        print(added.document.id, flush=True)


if __name__ == "__main__":
    main()
