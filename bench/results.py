"""Print the benchmark table and merge the figures into instance/bench/results.json."""

import json
from pathlib import Path

from .trace import Measure, summary

TARGETS_MS = {"forward trace": 50.0, "backward trace": 20.0, "incident report": 300.0}
COLUMNS = ("engine", "query", "cases", "lots reached", "consignees", "median ms", "p95 ms", "bound ms", "ratio", "SQL")


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


def print_table(table: list[tuple]) -> None:
    widths = [max(len(str(v)) for v in column) for column in zip(COLUMNS, *table, strict=True)]
    for line in (COLUMNS, tuple("-" * w for w in widths), *table):
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
    the incident report (500 lots, 50 actions) <= 300 ms."""
    missed = []
    for e in entries_:
        target = TARGETS_MS.get(e["name"])
        if target and e["median_ms"] > target:
            missed.append(f"{e['engine']} {e['name']}: median {e['median_ms']} ms > {target} ms")
        if e["name"] == "forward trace" and e.get("ratio") and e["ratio"] > 3:
            missed.append(f"{e['engine']} {e['name']}: {e['ratio']}x the bound > 3x")
    return missed
