"""The lower bound: the same walks as breadth-first searches over Python dicts in memory."""

from collections import defaultdict
from dataclasses import dataclass, field

from app.extensions import db


@dataclass
class Graph:
    """Genealogy in both directions, shipments by lot, and consignee names."""

    down: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    up: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    shipped: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, str] = field(default_factory=dict)
    kinds: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def _rows(sql: str):
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(100_000):
            yield from rows
    finally:
        cursor.close()


def load() -> Graph:
    """Read edges, shipments, consignees and lot kinds into dicts (once per benchmark)."""
    graph = Graph()
    for input_id, output_id in _rows("SELECT input_lot_id, output_lot_id FROM lot_inputs"):
        graph.down[input_id].append(output_id)
        graph.up[output_id].append(input_id)
    for lot_id, consignee_id, quantity, shipped_on in _rows(
        "SELECT lot_id, consignee_id, quantity, shipped_on FROM shipments"
    ):
        graph.shipped[lot_id].append((consignee_id, float(quantity), shipped_on))
    graph.names = dict(_rows("SELECT id, name FROM customers"))
    for lot_id, kind in _rows("SELECT id, kind FROM lots ORDER BY id"):
        graph.kinds[kind].append(lot_id)
    db.session.rollback()
    return graph


def walk(adjacency: dict[int, list[int]], roots: list[int]) -> dict[int, int]:
    """Lots reached from the roots (not the roots themselves) -> shortest depth."""
    depth: dict[int, int] = {}
    frontier, level = list(roots), 0
    while frontier:
        level += 1
        following = []
        for lot in frontier:
            for nxt in adjacency.get(lot, ()):
                if nxt not in depth:
                    depth[nxt] = level
                    following.append(nxt)
        frontier = following
    return depth


def consignees(graph: Graph, lots) -> list[tuple]:
    """Per consignee: lots, shipments, quantity, first and last date; ordered by name."""
    totals: dict[int, list] = {}
    for lot in lots:
        for consignee, quantity, shipped_on in graph.shipped.get(lot, ()):
            entry = totals.get(consignee)
            if entry is None:
                totals[consignee] = [{lot}, 1, quantity, shipped_on, shipped_on]
            else:
                entry[0].add(lot)
                entry[1] += 1
                entry[2] += quantity
                entry[3] = min(entry[3], shipped_on)
                entry[4] = max(entry[4], shipped_on)
    names = graph.names
    return sorted(((names[c], c, len(e[0]), *e[1:]) for c, e in totals.items()), key=lambda row: row[0])


def forward_trace(graph: Graph, lot: int) -> tuple[int, int]:
    """(lots reached, consignees): what `engine.forward` + `engine.consignees` answer."""
    reached = walk(graph.down, [lot])
    ordered = sorted(reached.items(), key=lambda item: item[1])
    return len(ordered), len(consignees(graph, [lot, *reached]))


def backward_trace(graph: Graph, lot: int) -> int:
    reached = walk(graph.up, [lot])
    return len(sorted(reached.items(), key=lambda item: item[1]))


def common_cause(graph: Graph, lots: list[int]) -> int:
    """Ancestors shared by two or more of the lots."""
    feeds: dict[int, int] = defaultdict(int)
    for lot in lots:
        for ancestor in walk(graph.up, [lot]):
            feeds[ancestor] += 1
    return len(sorted((n, a) for a, n in feeds.items() if n >= 2))
