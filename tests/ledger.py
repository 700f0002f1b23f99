"""Bookkeeping for concurrency tests: which ids exist, and when each deleted one was gone.

A reader that started after a delete returned must never see the deleted document; the
writer records each delete here once it returns, and readers ask which ids were gone
before they started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable


class Ledger:
    """Which ids exist and when each deleted one was gone, under one lock."""

    def __init__(self, live: Iterable[str]) -> None:
        self.lock = threading.Lock()
        self.live = set(live)
        self.deleted_at: dict[str, float] = {}

    def added(self, ids: Iterable[str]) -> None:
        with self.lock:
            self.live.update(ids)

    def deleted(self, ids: Iterable[str]) -> None:
        now = time.monotonic()
        ids = list(ids)
        with self.lock:
            self.live.difference_update(ids)
            self.deleted_at.update(dict.fromkeys(ids, now))

    def gone_before(self, start: float) -> set[str]:
        with self.lock:
            return {doc_id for doc_id, at in self.deleted_at.items() if at < start}
