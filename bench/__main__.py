"""`python -m bench`: build or reuse plant-1M on SQLite (and PostgreSQL with
BENCH_DATABASE_URL), time the trace engine, the incident PDF report, the alert email
worker (throughput and commit -> delivered latency), the recall report of 10,000
consignees and a mock recall on plant-1M, every GET page of the app on plant-1M (with a
scenario of incidents, recalls, press and mail added once), gunicorn under Locust load on
plant-1M (PostgreSQL), print a table, merge results.json."""

import argparse
import gc
import sys
import time

from . import alerts, audit, bound, database, load, pages, recall, report, results, trace

PARTS = ("trace", "report", "alerts", "recall", "pages", "load", "audit")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), action="append", help="default: both")
    parser.add_argument("--lots", type=int, default=1_000_000, help="plant size (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=9, help="timed calls per case")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the database even if complete")
    parser.add_argument("--only", choices=PARTS, help="run one part (default: all)")
    parser.add_argument("--load-seconds", type=int, default=60, help="length of each load run (default 60)")
    parser.add_argument(
        "--load-think",
        type=float,
        default=0.0,
        help="seconds each load user reads a page before the next (default 0: never pause); "
        "with it, only the mixed runs are made",
    )
    parser.add_argument(
        "--soak-seconds", type=int, default=300, help="length of the run with the most users (default 300: 5 minutes)"
    )
    parser.add_argument(
        "--load-users",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[10, 50],
        help="users of the mixed load runs, comma-separated (default 10,50); with 10, also the "
        "complaint list and bare route runs",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, flush=True)


def engines(chosen: list[str] | None, lots: int) -> list[tuple[str, str]]:
    pg = database.postgresql_url()
    wanted = chosen or ["sqlite", "postgresql"]
    out = [("sqlite", database.sqlite_url(lots))] if "sqlite" in wanted else []
    if "postgresql" in wanted:
        if pg:
            out.append(("postgresql", pg))
        elif chosen:
            sys.exit("Set BENCH_DATABASE_URL to benchmark PostgreSQL.")
        else:
            log("PostgreSQL skipped: set BENCH_DATABASE_URL=postgresql+psycopg://... to include it.")
    return out


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    table, new_entries = [], []
    wanted = {args.only} if args.only else set(PARTS)
    # The report and alerts benches have small databases of their own, so `--only report`
    # and `--only alerts` never build plant-1M.
    for name, url in engines(args.engine, args.lots) if "trace" in wanted else []:
        log(f"{name}: {url}")
        database.prepare(url, args.lots, args.rebuild, log)
        app = database.make_app(url)
        with app.app_context():
            started = time.perf_counter()
            graph = bound.load()
            # Millions of dict entries would make every full garbage collection during the
            # timed calls take ~100 ms; the app never holds them, so keep them out of the GC.
            gc.collect()
            gc.freeze()
            log(f"  edges and shipments read into dicts: {time.perf_counter() - started:.1f} s")
            measures = trace.run(graph, args.repeats)
            for measure in measures:
                for mismatch in measure.mismatches:
                    log(f"  MISMATCH {measure.name}: {mismatch}")
        del graph
        gc.unfreeze()
        table += results.rows(name, measures)
        new_entries += results.entries(name, measures)
    if "report" in wanted:
        log(f"incident report: {report.url()}")
        new_entries.append(report.run(10, log))
    alert_entries = alerts.run(engines(args.engine, args.lots), log) if "alerts" in wanted else []
    new_entries += alert_entries
    # The recall report has a database of its own; the mock recall reuses (or builds) plant-1M.
    recall_entries = (
        recall.run(engines(args.engine, args.lots), args.lots, args.rebuild, log) if "recall" in wanted else []
    )
    new_entries += recall_entries
    page_entries = (
        pages.run(engines(args.engine, args.lots), args.lots, args.rebuild, 2 * args.repeats + 1, log)
        if "pages" in wanted
        else []
    )
    new_entries += page_entries
    load_entries = (
        load.run(
            engines(args.engine, args.lots),
            args.lots,
            args.rebuild,
            args.load_seconds,
            args.soak_seconds,
            args.load_users,
            log,
            args.load_think,
        )
        if "load" in wanted
        else []
    )
    new_entries += load_entries
    audit_entries = audit.run(engines(args.engine, args.lots), audit.EVENTS, log) if "audit" in wanted else []
    new_entries += audit_entries
    print()
    if table:
        results.print_table(table)
    if alert_entries:
        if table:
            print()
        results.print_table(results.alert_rows(alert_entries), results.ALERT_COLUMNS)
    if recall_entries:
        if table or alert_entries:
            print()
        results.print_table(results.recall_rows(recall_entries), results.RECALL_COLUMNS)
    if page_entries:
        print()
        results.print_table(pages.rows(page_entries), pages.COLUMNS)
    if load_entries:
        print()
        results.print_table(load.rows(load_entries), load.COLUMNS)
    if audit_entries:
        print()
        results.print_table(audit.rows(audit_entries), audit.COLUMNS)
    path = database.BENCH_DIR / "results.json"
    results.merge(path, new_entries)
    print(f"\nWritten to {path}")
    for line in results.missed_targets(new_entries):
        print(f"TARGET MISSED: {line}")
    for line in (line for e in audit_entries for line in audit.missed(e)):
        print(f"TARGET MISSED: {line}")


if __name__ == "__main__":
    main(sys.argv[1:])
