"""Benchmark of the bulk lots import: a generated 1,000,000-row CSV through run_import.

    .venv/bin/python bench/import_bench.py [ROWS] [--profile] [--genealogy]

Uses a fresh SQLite file in a temporary directory, or BENCH_DATABASE_URL (PostgreSQL: the
database's public schema is DROPPED and rebuilt by the migrations, so give it its own
database). Prints rows/s for the first import (all rows created) and for a re-import of the
same file (all unchanged, nothing written), and the peak memory of the process. With
--genealogy it then imports two input lots for every intermediate and finished lot
(about 1.3 edges per lot), cycle checks included.
"""

import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.imports.services import run_import  # noqa: E402
from app.models import Product  # noqa: E402
from config import DevConfig  # noqa: E402

PRODUCTS = 200
KINDS = ("raw", "intermediate", "finished")


def write_csv(path: Path, rows: int) -> None:
    """A lots file as an ERP would export it: every column, some optional cells empty."""
    start = date(2024, 1, 1)
    days = [(start + timedelta(days=d)).isoformat() for d in range(400)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("lot_code,product_sku,kind,quantity,unit,produced_on,expires_on,site,line\n")
        batch = []
        for i in range(rows):
            produced = days[i % 370]
            expires = days[i % 370 + 30] if i % 3 else ""
            batch.append(
                f"LOT-{i:08d},BENCH-{i % PRODUCTS:03d},{KINDS[i % 3]},{i % 9000}.{i % 1000:03d},kg,"
                f"{produced},{expires},Plant {i % 7},Line {i % 11}\n"
            )
            if len(batch) == 10_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)


def write_genealogy(path: Path, rows: int) -> int:
    """Raw -> intermediate -> finished: each made from two lots of the layer before; returns the edge count."""
    edges = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("input_lot_code,output_lot_code,quantity\n")
        for i in range(4, rows):
            if i % 3:  # intermediate (i % 3 == 1) or finished (i % 3 == 2): inputs i-1 and i-4 are one layer up
                out.write(f"LOT-{i - 1:08d},LOT-{i:08d},{i % 50}.5\nLOT-{i - 4:08d},LOT-{i:08d},{i % 70}\n")
                edges += 2
    return edges


def reset(url: str) -> None:
    """Empty schema, then the real migrations (same indexes and constraints as production)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade()
    db.session.execute(
        sa.insert(Product.__table__),
        [{"sku": f"BENCH-{k:03d}", "name": f"Bench product {k}", "unit": "kg", "kind": "raw"} for k in range(PRODUCTS)],
    )
    db.session.commit()


class Progress:
    def __init__(self) -> None:
        self.started = self.printed = time.perf_counter()

    def __call__(self, rows: int, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if now - self.printed >= 5:
            self.printed = now
            share = f"{100 * done / total:.0f}%" if total else "?"
            print(f"  {rows:>10,} rows {share:>4} {rows / (now - self.started):>9,.0f} rows/s", file=sys.stderr)


def timed_import(path: Path, rows: int, label: str, profile: bool, kind: str = "lots") -> None:
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = run_import(kind, path, None, progress=Progress())
    db.session.commit()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    assert result.ok, result.errors[:5]
    print(f"{label}: {result.summary()} in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rows = int(args[0]) if args else 1_000_000
    profile = "--profile" in sys.argv
    with tempfile.TemporaryDirectory(prefix="lotline-bench-") as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        path = Path(tmp) / "lots.csv"
        started = time.perf_counter()
        write_csv(path, rows)
        size = path.stat().st_size
        print(f"Generated {rows:,} rows ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
        app = create_app(DevConfig, {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            reset(url)
            print(f"Database: {db.engine.dialect.name}")
            timed_import(path, rows, "First import", profile)
            timed_import(path, rows, "Re-import", profile)
            lots = db.session.scalar(sa.text("SELECT count(*) FROM lots"))
            assert lots == rows, lots
            if "--genealogy" in sys.argv:
                edges = write_genealogy(Path(tmp) / "genealogy.csv", rows)
                timed_import(Path(tmp) / "genealogy.csv", edges, "Genealogy import", profile, "genealogy")
                timed_import(Path(tmp) / "genealogy.csv", edges, "Genealogy re-import", profile, "genealogy")
            db.session.remove()
            db.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of the process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
