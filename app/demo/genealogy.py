"""Generated lots and genealogy edges: raw -> intermediate -> finished, a DAG by construction.

Every input is drawn from lots of the ingredient produced on an EARLIER day than the
output, so no path can come back to where it started. Within the days a material is
used, lots are drawn with power-law (Pareto) weights: a few big silos and film rolls
feed thousands of lots, most feed a handful, as in a real plant.
"""

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from .catalog import ProductSpec

LOT_COLUMNS = (
    "id",
    "code",
    "product_id",
    "kind",
    "quantity",
    "unit",
    "produced_on",
    "expires_on",
    "site",
    "line",
    "status",
    "version",
)
EDGE_COLUMNS = ("input_lot_id", "output_lot_id", "quantity")
TIER_SHARES = {"raw": 0.1, "intermediate": 0.3, "finished": 0.6}
SITES = {"raw": "Receiving dock", "intermediate": "Plant Lyon", "finished": "Plant Lyon"}


@dataclass(frozen=True)
class Shape:
    """How many lots over how many days, and how skewed the draws are."""

    lots: int
    days: int
    alpha: float = 1.5  # Pareto shape of lot weights: smaller means a few lots feed far more
    max_weight: float = 200.0  # no single silo takes over a whole material
    diamond: float = 0.05  # chance a finished lot also takes directly a raw lot its mix used
    lead_days: int = 7  # raw material arrives before production starts


@dataclass
class Pool:
    """Lots of one product, by production day, with cumulative draw weights."""

    days: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)

    def draw(self, rng: random.Random, day: int, use_days: int) -> int | None:
        """A lot made before `day` (within `use_days` if any), weighted; None if none yet."""
        hi = bisect_left(self.days, day)
        if hi == 0:
            return None
        lo = min(bisect_left(self.days, day - use_days), hi - 1)
        base = self.cum[lo - 1] if lo else 0.0
        u = base + rng.random() * (self.cum[hi - 1] - base)
        return self.ids[min(bisect_right(self.cum, u, lo, hi), hi - 1)]


@dataclass
class Genealogy:
    lots: list[tuple] = field(default_factory=list)  # LOT_COLUMNS
    edges: list[tuple] = field(default_factory=list)  # EDGE_COLUMNS


def tier_counts(specs: tuple[ProductSpec, ...], lots: int) -> dict[str, int]:
    """Lots per product: each tier's share, split evenly among its products."""
    counts = {}
    for tier, share in TIER_SHARES.items():
        members = [s.sku for s in specs if s.tier == tier]
        total = round(lots * share)
        for i, sku in enumerate(members):
            counts[sku] = total // len(members) + (1 if i < total % len(members) else 0)
    return counts


def generate(
    specs: tuple[ProductSpec, ...],
    product_ids: dict[str, int],
    shape: Shape,
    today: date,
    rng: random.Random,
    first_id: int = 1,
) -> Genealogy:
    """Lots of every product in recipe order, each drawing its inputs from earlier lots."""
    first_day = today - timedelta(days=shape.days)
    calendar = [first_day + timedelta(days=d) for d in range(shape.days + 1)]
    counts = tier_counts(specs, shape.lots)
    starts = {"raw": 0, "intermediate": shape.lead_days, "finished": shape.lead_days + 2}
    pools: dict[str, Pool] = {}
    used_by: dict[str, int] = {s.sku: s.use_days for s in specs}
    mix_inputs: dict[int, dict[str, int]] = {}  # intermediate lot -> {ingredient sku: lot}
    out = Genealogy()
    next_id = first_id
    for spec in specs:
        n = counts[spec.sku]
        start = starts[spec.tier]
        days = sorted(rng.randrange(start, shape.days + 1) for _ in range(n))
        if spec.tier == "finished":
            weights = [1.0] * n  # nothing draws from finished lots
        else:
            weights = [min(rng.paretovariate(shape.alpha), shape.max_weight) for _ in range(n)]
        pool = Pool(days=days, ids=list(range(next_id, next_id + n)), cum=list(accumulate(weights)))
        recipe = [(sku, p) for sku, p in spec.recipe if sku in product_ids]
        previous_day, serial = -1, 0
        for day, weight, lot_id in zip(days, weights, pool.ids, strict=True):
            serial = serial + 1 if day == previous_day else 1
            previous_day = day
            row = _lot_row(spec, lot_id, product_ids[spec.sku], calendar[day], serial, weight, rng)
            out.lots.append(row)
            chosen = _inputs(recipe, pools, used_by, mix_inputs, day, shape.diamond, rng)
            if spec.tier == "intermediate":
                mix_inputs[lot_id] = chosen
            share = max(1, row[4] // max(1, len(chosen)))  # what each input gave, roughly
            out.edges.extend((input_id, lot_id, share) for input_id in chosen.values())
        pools[spec.sku] = pool
        next_id += n
    return out


def _lot_row(spec: ProductSpec, lot_id: int, product_id: int, made: date, serial: int, weight, rng) -> tuple:
    """One lot (LOT_COLUMNS), coded like a traceability lot code: PREFIX-YYDDD-NNN."""
    low, high = spec.size
    # Bigger lots are drawn from more often: a silo feeds more batches than a sack.
    quantity = int(rng.randint(low, high) * (min(weight, 16.0) ** 0.5 if spec.tier != "finished" else 1.0))
    return (
        lot_id,
        f"{spec.code}-{made:%y%j}-{serial:03d}",
        product_id,
        spec.tier,
        quantity,
        spec.unit,
        made,
        made + timedelta(days=spec.shelf_days),
        SITES[spec.tier],
        None if spec.tier == "raw" else f"Line {rng.randint(1, 3)}",
        "released",
        1,
    )


def _inputs(recipe, pools, used_by, mix_inputs, day, diamond, rng) -> dict[str, int]:
    """One lot per ingredient; sometimes the same raw lot the chosen mix already used."""
    chosen: dict[str, int] = {}
    mix_used: dict[str, int] = {}
    for sku, probability in recipe:
        if probability < 1 and rng.random() >= probability:
            continue
        if sku in mix_used and rng.random() < diamond:
            chosen[sku] = mix_used[sku]  # a diamond: the same silo feeds the mix and the line
            continue
        lot_id = pools[sku].draw(rng, day, used_by[sku])
        if lot_id is None:
            continue  # nothing of this material received yet (first days of the window)
        chosen[sku] = lot_id
        mix_used.update(mix_inputs.get(lot_id, {}))
    return chosen
