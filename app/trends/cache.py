"""The Trends page's panels kept for a few minutes per app process.

Every exact figure of the page is recomputed from a year of complaints and the shipments of
every lot they name (~51,000 lots on plant-1M: 300-700 ms however the queries are written), for
a page read for weeks-long patterns. A view within TRENDS_CACHE_SECONDS of the last one with the
same filters and charts reuses its panels; the page says when its figures were computed. The CSV
downloads are always computed afresh.
"""

import threading
import time
from datetime import UTC, datetime

from flask import current_app

from . import panels

MAX_ENTRIES = 64  # filters x chart sets kept; the oldest goes first
_entries: dict[tuple, tuple[float, datetime, list]] = {}
_lock = threading.Lock()


def build(kinds: list[str], period, names: dict[int, str], filters) -> tuple[list, datetime]:
    """The drawn panels and when they were computed (now, or at most TRENDS_CACHE_SECONDS ago)."""
    ttl = current_app.config["TRENDS_CACHE_SECONDS"]
    # Product names are in the charts' labels: a renamed product makes a new entry.
    key = (tuple(kinds), period.start, period.end, filters.product_id, tuple(sorted(names.items())))
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
    if ttl > 0 and hit and now - hit[0] < ttl:
        return hit[2], hit[1]
    built = panels.build(kinds, period, names, filters)
    computed_at = datetime.now(UTC)
    if ttl > 0:
        with _lock:
            _entries[key] = (now, computed_at, built)
            while len(_entries) > MAX_ENTRIES:
                _entries.pop(next(iter(_entries)))
    return built, computed_at


def clear() -> None:
    with _lock:
        _entries.clear()
