"""Generated complaint intake data: who complained about which shipped lot, and what."""

import random
from datetime import datetime, timedelta

from .consignees import FIRST, LAST

CATEGORY_WEIGHTS = {
    "foreign_matter": 15,
    "contamination": 8,
    "labeling": 10,
    "packaging": 25,
    "taste_odor": 15,
    "performance": 12,
    "injury_illness": 5,
    "other": 10,
}
CHANNEL_WEIGHTS = {"phone": 40, "email": 30, "web": 20, "visit": 5, "oral": 5}
TEXTS = {
    "foreign_matter": (
        "Found a piece of hard plastic in the {product}.",
        "A small stone in the {product}; the pack was kept.",
        "Metal fragment, about 3 mm, found in the {product}.",
    ),
    "contamination": (
        "Mould visible on the {product} well before the best-before date.",
        "Insects found in an unopened {product}.",
    ),
    "labeling": (
        "Hazelnuts missing from the allergen statement on the {product} label.",
        "Best-before date unreadable on several {product} packs.",
    ),
    "packaging": (
        "Torn wrappers on three cases of {product}.",
        "Seal of the {product} open on arrival.",
        "Crushed outer cartons of {product} on the pallet.",
    ),
    "taste_odor": ("Rancid smell from the {product}.", "The {product} tastes bitter, as if burnt."),
    "performance": ("{product} much drier and harder than usual.", "Most pieces broken in the {product}."),
    "injury_illness": (
        "Customer chipped a tooth on the {product}.",
        "Stomach ache after eating the {product}; saw a doctor.",
    ),
    "other": ("Customer asks whether the {product} is suitable for vegans.", "Price label wrong on the {product}."),
}


def unknown_code(code: str, rng: random.Random) -> str:
    """A code as customers mistype it: no dashes, or an old-style code: never a real lot."""
    return code.replace("-", "") if rng.random() < 0.6 else f"L{rng.randint(20, 23)}-{rng.randint(1, 365):03d}"


def generate(
    count: int,
    lots: list[tuple],
    shipments: list[tuple],
    consumers: list[int],
    product_names: dict[int, str],
    now: datetime,
    rng: random.Random,
    unknown: float = 0.15,
) -> list[dict]:
    """`count` intakes (the fields create_complaint takes), oldest first.

    `lots` are genealogy.LOT_COLUMNS rows, `shipments` shipping.SHIPMENT_COLUMNS rows.
    Each complaint is about a lot that was shipped, some days after it arrived.
    """
    if not shipments:
        return []
    by_id = {lot[0]: i for i, lot in enumerate(lots)}
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    out = []
    latest = now - timedelta(days=2)
    for _ in range(count):
        shipment = shipments[rng.randrange(len(shipments))]
        for _retry in range(20):  # a complaint comes after the goods arrived
            if shipment[6] <= latest:
                break
            shipment = shipments[rng.randrange(len(shipments))]
        _sid, lot_id, consignee_id, _qty, _shipped, _ref, stamp = shipment
        index = by_id[lot_id]
        lot = lots[index]
        received = stamp + timedelta(days=rng.randint(2, 45), hours=rng.randint(0, 9))
        if received > now:
            received = stamp + (now - stamp) * rng.random()
        codes = [lot[1]]
        neighbour = lots[index + 1] if index + 1 < len(lots) else None
        if neighbour and neighbour[2] == lot[2] and rng.random() < 0.15:
            codes.append(neighbour[1])  # two lots of the same product from one delivery
        if rng.random() < unknown:
            codes[0] = unknown_code(codes[0], rng)
        category = rng.choices(categories, weights)[0]
        from_store = rng.random() < 0.4 or not consumers
        product = product_names[lot[2]]
        out.append(
            dict(
                received_at=min(received, now),
                channel=rng.choices(channels, channel_weights)[0],
                customer_id=consignee_id if from_store else rng.choice(consumers),
                complainant_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}" if from_store else None,
                complainant_contact=f"+1 555 {rng.randint(100000, 999999)}" if from_store else None,
                product_id=lot[2],
                lot_codes=", ".join(codes),
                quantity_affected=rng.randint(1, 24) if category == "packaging" else None,
                description=rng.choice(TEXTS[category]).format(product=product),
                category=category,
                injury=category == "injury_illness" or (category == "foreign_matter" and rng.random() < 0.1),
                sample_available=rng.random() < 0.6,
            )
        )
    out.sort(key=lambda c: c["received_at"])
    return out
