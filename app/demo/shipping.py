"""Generated shipments: finished lots to distributors and stores, on delivery notes."""

import random
from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta

from .consignees import Consignees

SHIPMENT_COLUMNS = ("id", "lot_id", "consignee_id", "quantity", "shipped_on", "reference", "created_at")


def generate(
    lots: list[tuple],
    consignees: Consignees,
    count: int,
    today: date,
    rng: random.Random,
    first_id: int = 1,
) -> list[tuple]:
    """About `count` shipment lines of finished lots, a few days after each was made.

    `lots` are genealogy.LOT_COLUMNS rows. Lots made in the last days are partly not
    shipped yet, as in any warehouse.
    """
    finished = [lot for lot in lots if lot[3] == "finished"]
    if not finished or not consignees.shippable:
        return []
    # Lots of the last week are mostly still in the warehouse: aim the count at the others.
    settled = sum(1 for lot in finished if (today - lot[6]).days > 7) or len(finished)
    per_lot = count / settled
    base, bump = int(per_lot), per_lot - int(per_lot)
    cum, total = consignees.cum_weights, consignees.cum_weights[-1]
    stamps: dict[date, datetime] = {}
    rows = []
    next_id = first_id
    for lot_id, _code, _product, _kind, quantity, *_rest in finished:
        produced = _rest[1]
        k = base + (rng.random() < bump) + (rng.choice((-1, 0, 1)) if base > 1 else 0)
        receivers: set[int] = set()
        for _ in range(k * 8):  # retries, as a lot goes to each consignee once
            if len(receivers) == k or len(receivers) == len(consignees.shippable):
                break
            receivers.add(consignees.shippable[min(bisect_right(cum, rng.random() * total), len(cum) - 1)])
        portion = max(1, quantity // max(1, len(receivers)))
        for consignee_id in sorted(receivers):
            shipped = produced + timedelta(days=rng.randint(1, 14))
            if shipped > today:
                continue
            stamp = stamps.get(shipped)
            if stamp is None:
                stamp = stamps[shipped] = datetime.combine(shipped, time(17, 30), UTC)
            reference = f"DN-{shipped:%y%m%d}-{consignee_id:05d}"  # one delivery note per consignee per day
            rows.append((next_id, lot_id, consignee_id, portion, shipped, reference, stamp))
            next_id += 1
    return rows
