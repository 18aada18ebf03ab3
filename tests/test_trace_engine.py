"""The trace engine agrees with a brute-force walk in Python, on random DAGs and edge cases."""

from collections import deque
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Lot, LotInput, Shipment
from app.trace import engine
from tests import factories


def bfs(start: list[int], adjacency: dict[int, list[int]], max_depth: int = engine.MAX_DEPTH) -> dict[int, int]:
    """Shortest depth of every node reached from `start` (start nodes excluded unless re-reached)."""
    depth: dict[int, int] = {}
    queue = deque((s, 0) for s in start)
    while queue:
        node, d = queue.popleft()
        if d >= max_depth:
            continue
        for nxt in adjacency.get(node, []):
            if nxt not in depth or depth[nxt] > d + 1:
                depth[nxt] = d + 1
                queue.append((nxt, d + 1))
    return depth


@pytest.fixture
def graph(app):
    """Insert a DAG given as (n, edges, shipments); returns lot ids by index."""
    product = factories.make_product(kind="finished")
    consignees = [factories.make_customer() for _ in range(4)]

    def build(n, edges, shipments=()):
        db.session.execute(sa.delete(Shipment))
        db.session.execute(sa.delete(LotInput))
        db.session.execute(sa.delete(Lot))
        rows = [
            dict(
                code=f"G{i:03d}",
                product_id=product.id,
                kind="raw" if i < n // 3 else "finished",
                quantity=1,
                unit="kg",
                produced_on=date(2026, 1, 1),
                status="released",
            )
            for i in range(n)
        ]
        db.session.execute(sa.insert(Lot), rows)
        ids = dict(db.session.execute(sa.select(Lot.code, Lot.id)).all())
        lot_ids = [ids[f"G{i:03d}"] for i in range(n)]
        if edges:
            db.session.execute(
                sa.insert(LotInput), [dict(input_lot_id=lot_ids[a], output_lot_id=lot_ids[b]) for a, b in edges]
            )
        if shipments:
            db.session.execute(
                sa.insert(Shipment),
                [
                    dict(
                        lot_id=lot_ids[lot],
                        consignee_id=consignees[c].id,
                        quantity=q,
                        shipped_on=date(2026, 1, 1) + timedelta(days=day),
                        reference=f"R{k}",
                    )
                    for k, (lot, c, q, day) in enumerate(shipments)
                ],
            )
        db.session.commit()
        return lot_ids, consignees

    return build


@st.composite
def dags(draw):
    n = draw(st.integers(min_value=2, max_value=18))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]  # a < b: acyclic by construction
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=40)) if pairs else []
    shipments = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, 3), st.integers(1, 50), st.integers(0, 30)),
            max_size=15,
        )
    )
    roots = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    return n, edges, shipments, roots


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=dags())
def test_engine_matches_brute_force(graph, case):
    n, edges, shipments, roots = case
    lot_ids, consignees = graph(n, edges, shipments)
    down: dict[int, list[int]] = {}
    up: dict[int, list[int]] = {}
    for a, b in edges:
        down.setdefault(lot_ids[a], []).append(lot_ids[b])
        up.setdefault(lot_ids[b], []).append(lot_ids[a])
    root_ids = [lot_ids[r] for r in roots]

    assert {r.id: r.depth for r in engine.forward(root_ids)} == bfs(root_ids, down)
    assert {r.id: r.depth for r in engine.backward(root_ids)} == bfs(root_ids, up)

    affected = set(root_ids) | set(bfs(root_ids, down))
    expected: dict[int, dict] = {}
    for lot, c, q, day in shipments:
        if lot_ids[lot] in affected:
            e = expected.setdefault(consignees[c].id, {"lots": set(), "quantity": 0, "days": []})
            e["lots"].add(lot_ids[lot])
            e["quantity"] += q
            e["days"].append(date(2026, 1, 1) + timedelta(days=day))
    got = {r.id: r for r in engine.consignees(engine.affected_ids(root_ids))}
    assert set(got) == set(expected)
    for cid, e in expected.items():
        assert got[cid].lots == len(e["lots"])
        assert got[cid].quantity == e["quantity"]
        assert (got[cid].first_shipped, got[cid].last_shipped) == (min(e["days"]), max(e["days"]))

    ancestry = {r: set(bfs([r], up)) for r in root_ids}
    feeds: dict[int, int] = {}
    for ancestors in ancestry.values():
        for a in ancestors:
            feeds[a] = feeds.get(a, 0) + 1
    shared = {a: f for a, f in feeds.items() if f >= 2}
    result = engine.common_cause(root_ids)
    assert {r.id: r.feeds for r in result} == shared
    assert [r.feeds for r in result] == sorted((r.feeds for r in result), reverse=True)


def test_diamond_is_counted_once(graph):
    #   0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 4: lot 3 is reached twice, listed once
    lots, consignees = graph(5, [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)], [(4, 0, 5, 0), (3, 0, 7, 1)])
    reached = engine.forward([lots[0]])
    assert sorted(r.id for r in reached) == sorted(lots[1:])
    assert {r.id: r.depth for r in reached}[lots[4]] == 3
    [row] = engine.consignees(engine.affected_ids([lots[0]]))
    assert (row.lots, row.quantity) == (2, 12)


def test_deep_chain_and_depth_guard(graph):
    lots, _ = graph(50, [(i, i + 1) for i in range(49)])
    assert len(engine.forward([lots[0]])) == 49
    assert max(r.depth for r in engine.backward([lots[49]])) == 49
    assert len(engine.forward([lots[0]], max_depth=10)) == 10


def test_cycle_detection_and_guard(graph):
    lots, _ = graph(3, [(0, 1), (1, 2)])
    assert engine.would_cycle(lots[2], lots[0]) is True  # 2 -> 0 would close 0 -> 1 -> 2
    assert engine.would_cycle(lots[0], lots[0]) is True
    assert engine.would_cycle(lots[0], lots[2]) is False
    # Even a cycle forced into the table cannot make a walk run forever.
    db.session.execute(sa.insert(LotInput), [dict(input_lot_id=lots[2], output_lot_id=lots[0])])
    db.session.commit()
    assert {r.id for r in engine.forward([lots[0]], max_depth=20)} == set(lots)


def test_self_edge_is_refused_by_the_database(graph):
    lots, _ = graph(2, [])
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(LotInput), [dict(input_lot_id=lots[0], output_lot_id=lots[0])])
        db.session.flush()
    db.session.rollback()


def test_empty_inputs(app):
    assert engine.forward([]) == [] and engine.backward([]) == [] and engine.common_cause([1]) == []
    assert engine.consignees([]) == []


def test_answers_are_plain_rows(graph):
    lots, _ = graph(3, [(0, 1), (1, 2)], [(2, 0, 1, 0)])
    row = engine.forward([lots[0]])[0]
    assert isinstance(row, sa.Row) and not isinstance(row, Lot)
    assert isinstance(engine.consignees([lots[2]])[0], sa.Row)


def test_each_answer_is_one_query(graph):
    lots, _ = graph(6, [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5)], [(3, 0, 1, 0), (5, 1, 1, 0)])
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        engine.forward([lots[0]])
        engine.backward([lots[5]])
        engine.consignees(engine.affected_ids([lots[0]]))
        engine.common_cause([lots[3], lots[5]])
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 4


def test_reach_count_matches_the_trace(graph):
    lots, _ = graph(5, [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    assert engine.reach_count([lots[0]], "forward") == len(engine.forward([lots[0]])) == 4
    assert engine.reach_count([lots[4]], "backward") == 4
    assert engine.reach_count([], "forward") == 0


def test_id_lists_of_any_length_bind_as_one_value(graph):
    """40,000 ids exceed SQLite's 32,766 bound parameters as an IN list; id_in binds one value."""
    lots, _ = graph(3, [(0, 1)], [(1, 0, 5, 0)])
    many = list(range(1, 40_001)) + lots
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot).where(engine.id_in(Lot.id, many))) == 3
    assert len(engine.consignees(many)) == 1
    reached, receivers = engine.forward_with_consignees([lots[0]])
    assert [r.id for r in reached] == [lots[1]] and len(receivers) == 1
