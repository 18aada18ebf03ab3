"""Print the benchmark table and merge the figures into instance/bench/results.json."""

import json
from pathlib import Path

from .trace import Measure, summary

TARGETS_MS = {"forward trace": 50.0, "backward trace": 20.0, "incident report": 300.0}
COLUMNS = ("engine", "query", "cases", "lots reached", "consignees", "median ms", "p95 ms", "bound ms", "ratio", "SQL")
RECALL_COLUMNS = ("engine", "recall", "lots", "consignees", "pages", "median ms", "max ms", "phases ms", "peak RSS MB")
ALERT_COLUMNS = ("engine", "alert emails", "messages", "per s", "median ms", "p95 ms", "max ms", "missing", "repeats")


def rows(engine: str, measures: list[Measure]) -> list[tuple]:
    out = []
    for measure in measures:
        s = summary(measure)
        out.append(
            (
                engine,
                f"{measure.name} ({measure.group})",
                s["cases"],
                f"{s['lots_reached']:,} (max {s['max_lots_reached']:,})",
                "" if s["consignees"] is None else f"{s['consignees']:,}",
                f"{s['median_ms']:.1f}",
                f"{s['p95_ms']:.1f}",
                f"{s['bound_ms']:.3f}",
                f"{s['ratio']}x",
                s["queries"],
            )
        )
    return out


def alert_rows(entries_: list[dict]) -> list[tuple]:
    """The alert bench's entries (throughput, latency) as table rows."""
    out = []
    for e in entries_:
        if e["name"] == "alert throughput":
            per_s = f"{e['per_s']:,} (steady {e['steady_per_s']:,})" if e.get("steady_per_s") else f"{e['per_s']:,}"
            row = (e["engine"], "throughput", f"{e['messages']:,}", per_s, "", "", "", e["missing"], e["duplicates"])
            out.append(row)
        elif e["name"] == "alert latency":
            out.append(
                (
                    e["engine"],
                    f"commit -> delivered ({e['rate_per_s']}/s)",
                    f"{e['count']:,}",
                    "",
                    e["median_ms"],
                    e["p95_ms"],
                    e["max_ms"],
                    e["missing"],
                    e["duplicates"],
                )
            )
    return out


def recall_rows(entries_: list[dict]) -> list[tuple]:
    """The recall bench's entries (report of 10,000 consignees, mock recall) as table rows."""
    out = []
    for e in entries_:
        if e["name"] == "recall report":
            phases = f"CPU {e['cpu_median_ms']}; status report {e['status_median_ms']}"
            rss = f"{e['peak_rss_mb']} (before {e['rss_before_report_mb']}; report {e['tracemalloc_peak_mb']})"
        else:
            phases = f"propose {e['propose_ms']}, approve {e['approve_ms']}, report {e['report_ms']}"
            rss = ""
        lots = e.get("scope_lots", e.get("lots"))
        out.append(
            (
                e["engine"],
                e["name"],
                f"{lots:,}",
                f"{e['consignees']:,}",
                e["pages"],
                e["median_ms"],
                e["max_ms"],
                phases,
                rss,
            )
        )
    return out


def print_table(table: list[tuple], columns: tuple[str, ...] = COLUMNS) -> None:
    widths = [max(len(str(v)) for v in column) for column in zip(columns, *table, strict=True)]
    for line in (columns, tuple("-" * w for w in widths), *table):
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))


def entries(engine: str, measures: list[Measure]) -> list[dict]:
    """One results.json entry per query name; the forward entry is the widest-reach case
    (the recall that matters) and carries the other cases' figures under prefixed keys."""
    by_name: dict[str, dict] = {}
    for measure in measures:
        s = summary(measure)
        entry = by_name.get(measure.name)
        if entry is None:
            by_name[measure.name] = {"name": measure.name, "engine": engine, "case": measure.group, **s}
        else:
            entry.update({measure.prefix + key: value for key, value in s.items()})
    return list(by_name.values())


def merge(path: Path, new: list[dict]) -> None:
    """Replace entries with the same name and engine; keep every other benchmark's entries."""
    try:
        current = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        current = []
    replaced = {(e["name"], e["engine"]) for e in new}
    kept = [e for e in current if (e.get("name"), e.get("engine")) not in replaced]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept + new, indent=2) + "\n")


def missed_targets(entries_: list[dict]) -> list[str]:
    """Targets: forward trace + consignees <= 50 ms and <= 3x the bound; backward <= 20 ms;
    the incident report (500 lots, 50 actions) <= 300 ms; alert emails >= 200/s with one
    worker and commit -> delivered p95 <= 2 s, each message delivered exactly once; the
    recall report of 10,000 consignees <= 3 s and <= 300 MB; a mock recall < 5 s; every HTML
    page (dashboards, search, lists, details, forms, trace pages) <= 100 ms median server time
    and <= 12 SQL statements, for every case; CSV exports <= 12 statements; the incident
    report page <= 300 ms;
    under load (gunicorn, PostgreSQL) p95 <= 100 ms at 10 users, no failed request, and the
    complaint list's throughput >= 20% of the bare route's."""
    missed = []
    for e in entries_:
        if e["name"] in ("recall report", "mock recall"):
            missed += _recall_missed(e)
            continue
        if e["name"] in ("alert throughput", "alert latency"):
            missed += _alert_missed(e)
            continue
        if e["name"].startswith("load ") or e["name"] in ("complaint list 10 users", "bare flask 10 users"):
            missed += _load_missed(e)
            continue
        if isinstance(e.get("cases"), dict) and "query_limit" in e:  # page entries (bench/app_pages.py)
            missed += _page_missed(e)
            continue
        target = TARGETS_MS.get(e["name"])
        if target and e["median_ms"] > target:
            missed.append(f"{e['engine']} {e['name']}: median {e['median_ms']} ms > {target} ms")
        if e["name"] == "forward trace" and e.get("ratio") and e["ratio"] > 3:
            missed.append(f"{e['engine']} {e['name']}: {e['ratio']}x the bound > 3x")
    return missed


def _alert_missed(e: dict) -> list[str]:
    missed = []
    where = f"{e['engine']} {e['name']}"
    if e["name"] == "alert throughput" and e["per_s"] < e["target_per_s"]:
        missed.append(f"{where}: {e['per_s']}/s < {e['target_per_s']}/s")
    if e["name"] == "alert latency" and (e["p95_ms"] is None or e["p95_ms"] > e["target_p95_ms"]):
        missed.append(f"{where}: p95 {e['p95_ms']} ms > {e['target_p95_ms']} ms")
    if e["missing"] or e["duplicates"]:
        missed.append(f"{where}: {e['missing']} messages missing, {e['duplicates']} delivered twice")
    return missed


def _recall_missed(e: dict) -> list[str]:
    where = f"{e['engine']} {e['name']}"
    missed = []
    if e["median_ms"] > e["target_ms"]:
        missed.append(f"{where}: median {e['median_ms']} ms > {e['target_ms']} ms")
    if e.get("target_mb") and e["peak_rss_mb"] > e["target_mb"]:
        missed.append(f"{where}: peak RSS {e['peak_rss_mb']} MB > {e['target_mb']} MB")
    return missed


def _page_missed(e: dict) -> list[str]:
    """Each case against its own target if it has one, else its entry's (None: no target)."""
    missed = []
    for case, figures in e["cases"].items():
        where = f"{e['engine']} {e['name']} ({case})"
        target, limit = figures.get("target_ms", e["target_ms"]), e["query_limit"]
        if target is not None and figures["median_ms"] > target:
            missed.append(f"{where}: median {figures['median_ms']} ms > {target} ms")
        if limit is not None and figures["queries"] > limit:
            missed.append(f"{where}: {figures['queries']} SQL statements > {limit}")
    return missed


def _load_missed(e: dict) -> list[str]:
    where = f"{e['engine']} {e['name']} ({e['seconds']} s)"
    missed = []
    if e["errors"]:
        missed.append(f"{where}: {e['errors']} of {e['requests']} requests failed")
    if e.get("target_p95_ms") and (e["p95_ms"] is None or e["p95_ms"] > e["target_p95_ms"]):
        missed.append(f"{where}: p95 {e['p95_ms']} ms > {e['target_p95_ms']} ms")
    if e.get("target_ratio") and e["ratio_to_bare"] < e["target_ratio"]:
        missed.append(f"{where}: {e['ratio_to_bare']:.1%} of the bare route's throughput < {e['target_ratio']:.0%}")
    return missed
