"""Child process for the concurrency test: run due jobs until none has appeared for a while.
Settings come from DMS_* variables; prints how many jobs this worker ran."""

from __future__ import annotations

import time

from dms.services.context import App
from dms.settings import load_settings
from workflows.jobs import run_one


def main() -> None:
    app = App.from_settings(load_settings())
    ran, idle_since = 0, time.monotonic()
    while time.monotonic() - idle_since < 3.0:
        outcome = run_one(app)
        if outcome is None:
            time.sleep(0.05)
            continue
        ran += outcome.ok
        idle_since = time.monotonic()
    print(ran, flush=True)


if __name__ == "__main__":
    main()
