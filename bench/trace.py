"""Time the trace engine's calls, exactly as the app makes them, and their lower bounds."""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.trace import engine

from . import bound
from .bound import Graph


@dataclass
class Measure:
    """Timings of one kind of query over several cases (lots or lot sets)."""

    name: str
    group: str
    prefix: str = ""  # results.json keys of a secondary case of the same query ("random_...")
    samples: list[float] = field(default_factory=list)
    bound_samples: list[float] = field(default_factory=list)
    lots_reached: list[int] = field(default_factory=list)
    consignees: list[int] = field(default_factory=list)
    queries: int = 0
    mismatches: list[str] = field(default_factory=list)


class StatementCounter:
    """Counts SQL statements sent while active (each answer must be one statement)."""

    def __init__(self):
        self.count = 0

    def __call__(self, *_args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def _timed(call: Callable, repeats: int) -> tuple[list[float], object]:
    result = call()  # warm-up: the same pages and plans as a user's second look
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def widest_raw_lots(graph: Graph, count: int = 10) -> list[int]:
    """Raw lots with the widest reach: rank by a cheap two-step estimate, then walk the best."""
    estimate = {
        lot: sum(1 + len(graph.down.get(out, ())) for out in graph.down.get(lot, ())) for lot in graph.kinds["raw"]
    }
    candidates = sorted(estimate, key=estimate.get, reverse=True)[: count * 5]
    return sorted(candidates, key=lambda lot: len(bound.walk(graph.down, [lot])), reverse=True)[:count]


def raw_lots_near(graph: Graph, reach: int, count: int = 10) -> list[int]:
    """Raw lots whose reach is closest to `reach` lots: how the time scales with the answer."""
    estimate = {lot: len(graph.down.get(lot, ())) for lot in graph.kinds["raw"]}
    candidates = [lot for lot, direct in estimate.items() if reach // 10 <= direct <= reach]
    return sorted(candidates, key=lambda lot: abs(len(bound.walk(graph.down, [lot])) - reach))[:count]


def forward(graph: Graph, lots: list[int], group: str, repeats: int, prefix: str = "") -> Measure:
    measure = Measure("forward trace", group, prefix)
    for lot in lots:

        def call(lot=lot):
            reached, receivers = engine.forward_with_consignees([lot])
            db.session.rollback()  # each look is its own request and transaction
            return reached, receivers

        with StatementCounter() as counter:
            samples, (reached, receivers) = _timed(call, repeats)
        measure.queries = counter.count // (repeats + 1)
        bound_samples, expected = _timed(lambda lot=lot: bound.forward_trace(graph, lot), repeats)
        _record(measure, samples, bound_samples, len(reached), len(receivers), expected, lot)
    return measure


def backward(graph: Graph, lots: list[int], repeats: int) -> Measure:
    measure = Measure("backward trace", "random finished lots")
    for lot in lots:
        with StatementCounter() as counter:
            samples, reached = _timed(lambda lot=lot: _one(engine.backward, [lot]), repeats)
        measure.queries = counter.count // (repeats + 1)
        bound_samples, expected = _timed(lambda lot=lot: bound.backward_trace(graph, lot), repeats)
        _record(measure, samples, bound_samples, len(reached), None, expected, lot)
    return measure


def common_cause(graph: Graph, sets: list[list[int]], repeats: int) -> Measure:
    measure = Measure("common cause", "5 finished lots sharing an input")
    for lots in sets:
        with StatementCounter() as counter:
            samples, shared = _timed(lambda lots=lots: _one(engine.common_cause, lots), repeats)
        measure.queries = counter.count // (repeats + 1)
        bound_samples, expected = _timed(lambda lots=lots: bound.common_cause(graph, lots), repeats)
        _record(measure, samples, bound_samples, len(shared), None, expected, lots)
    return measure


def _one(function, argument):
    rows = function(argument)
    db.session.rollback()
    return rows


def _record(measure, samples, bound_samples, reached, receivers, expected, case) -> None:
    measure.samples += samples
    measure.bound_samples += bound_samples
    measure.lots_reached.append(reached)
    got = reached if receivers is None else (reached, receivers)
    if receivers is not None:
        measure.consignees.append(receivers)
    if got != expected:
        measure.mismatches.append(f"{case}: engine {got}, bound {expected}")


def sharing_sets(graph: Graph, rng: random.Random, count: int) -> list[list[int]]:
    """Sets of 5 finished lots made from one intermediate lot (a shared input to find)."""
    mixes = [lot for lot in graph.kinds["intermediate"] if len(graph.down.get(lot, ())) >= 5]
    sets = []
    for mix in rng.sample(mixes, min(count, len(mixes))):
        finished = [lot for lot in graph.down[mix] if not graph.down.get(lot)]
        if len(finished) >= 5:
            sets.append(rng.sample(finished, 5))
    return sets


def run(graph: Graph, repeats: int, seed: int = 42) -> list[Measure]:
    """All benchmark cases: widest and random forward traces, backward, common cause."""
    rng = random.Random(seed)
    widest = widest_raw_lots(graph)
    return [
        forward(graph, widest, "10 widest raw lots", repeats),
        forward(graph, raw_lots_near(graph, 1000), "10 raw lots reaching ~1,000", repeats, "reach_1000_"),
        forward(graph, rng.sample(graph.kinds["raw"], 10), "10 random raw lots", repeats, "random_"),
        backward(graph, rng.sample(graph.kinds["finished"], 20), repeats),
        common_cause(graph, sharing_sets(graph, rng, 8), repeats),
    ]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(measure: Measure) -> dict:
    """Median and p95 (ms) of the engine and of the bound, and what the answers held."""
    median, bound_median = statistics.median(measure.samples), statistics.median(measure.bound_samples)
    return {
        "median_ms": round(median, 2),
        "p95_ms": round(percentile(measure.samples, 0.95), 2),
        "bound_ms": round(bound_median, 3),
        "bound_p95_ms": round(percentile(measure.bound_samples, 0.95), 3),
        "ratio": round(median / bound_median, 1) if bound_median else None,
        "lots_reached": round(statistics.median(measure.lots_reached)),
        "max_lots_reached": max(measure.lots_reached),
        "consignees": round(statistics.median(measure.consignees)) if measure.consignees else None,
        "queries": measure.queries,
        "cases": len(measure.lots_reached),
    }
