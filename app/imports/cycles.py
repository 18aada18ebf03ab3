"""Refusing genealogy edges that would close a loop (a lot made, however indirectly, from itself).

Checked once per chunk after its edges are inserted: any new cycle passes through a new
edge, hence through that edge's output lot, so it lies within the lots reachable forward
from the new outputs. One recursive query fetches the edges among those lots; Kahn's
algorithm then peels off every lot that is not on (or between) cycles, in Python.
"""

from collections import defaultdict, deque

import sqlalchemy as sa

from ..extensions import db
from ..models import Lot, LotInput
from .lookups import among

SEED_BATCH = 5000  # seed ids per query: well under SQLite's and PostgreSQL's parameter limits
_PATH_SHOWN = 8

Graph = dict[int, set[int]]


def _reachable_edges(seeds: list[int]) -> sa.Select:
    """Every edge leaving the seeds or a lot made from them (UNION: each lot walked once)."""
    edges, lots = LotInput.__table__, Lot.__table__
    nodes = sa.select(lots.c.id.label("lot_id")).where(among(lots.c.id, seeds)).cte("cycle_nodes", recursive=True)
    nodes = nodes.union(sa.select(edges.c.output_lot_id).join(nodes, edges.c.input_lot_id == nodes.c.lot_id))
    return sa.select(edges.c.input_lot_id, edges.c.output_lot_id).join(nodes, edges.c.input_lot_id == nodes.c.lot_id)


def _fetch_edges(seeds: list[int]) -> list[tuple[int, int]]:
    stmt = _reachable_edges(seeds)
    if db.session.get_bind().dialect.name != "postgresql":
        return [tuple(r) for r in db.session.execute(stmt)]
    # PostgreSQL guesses that the walk reaches much of the table and merge-joins the whole edge
    # index at every step (0.4 s per chunk at a million edges); looking up each reached lot in
    # the index takes a tenth of that. The settings are restored at once, for this query only.
    settings = ("enable_mergejoin", "enable_hashjoin")
    before = [db.session.scalar(sa.text(f"SELECT current_setting('{name}')")) for name in settings]
    set_local = sa.text("SELECT set_config(:name, :value, true)")
    for name in settings:
        db.session.execute(set_local, {"name": name, "value": "off"})
    try:
        return [tuple(r) for r in db.session.execute(stmt)]
    finally:
        for name, value in zip(settings, before):
            db.session.execute(set_local, {"name": name, "value": value})


def _peel(graph: Graph, nodes: set[int], reverse: bool) -> set[int]:
    """Kahn's algorithm: drop lots with no incoming (or outgoing) edge until none is left to drop."""
    degree: dict[int, int] = dict.fromkeys(nodes, 0)
    neighbours: Graph = defaultdict(set)
    for source, targets in graph.items():
        if source not in nodes:
            continue
        for target in targets:
            if target in nodes:
                a, b = (target, source) if reverse else (source, target)
                neighbours[a].add(b)
                degree[b] += 1
    queue = deque(n for n, d in degree.items() if d == 0)
    left = set(nodes)
    while queue:
        node = queue.popleft()
        left.discard(node)
        for nxt in neighbours.get(node, ()):
            degree[nxt] -= 1
            if degree[nxt] == 0:
                queue.append(nxt)
    return left


def _path(graph: Graph, core: set[int], start: int, goal: int) -> list[int] | None:
    """Shortest path start -> goal within the cyclic core (breadth first)."""
    parent: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return path[::-1]
        for nxt in graph.get(node, ()):
            if nxt in core and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


def find_cycle(new_edges: list[tuple[int, int, int]]) -> tuple[int, list[int]] | None:
    """For new edges (line, input id, output id) already flushed: the first one on a cycle,
    as (line, lot ids from its output back round to its input), or None."""
    seeds = sorted({output for _, _, output in new_edges})
    graph: Graph = defaultdict(set)
    for start in range(0, len(seeds), SEED_BATCH):
        for source, target in _fetch_edges(seeds[start : start + SEED_BATCH]):
            graph[source].add(target)
    nodes = set(graph).union(*graph.values()) if graph else set()
    # Forward peeling leaves cycles and what descends from them; backward peeling trims the latter.
    core = _peel(graph, _peel(graph, nodes, reverse=False), reverse=True)
    if not core:
        return None
    for line, source, target in sorted(new_edges):
        if source in core and target in core:
            path = _path(graph, core, target, source)
            if path:
                return line, path
    return None


def describe(path: list[int], codes: dict[int, str]) -> str:
    """'A -> B -> C' with lot codes, shortened in the middle when long."""
    shown = path if len(path) <= _PATH_SHOWN else [*path[:4], None, *path[-3:]]
    return " -> ".join("…" if i is None else codes.get(i, str(i)) for i in shown)
