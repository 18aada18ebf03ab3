"""What the demo plant makes: products, their recipes, and how their lots behave."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductSpec:
    """A product and the rules its lots follow in the generated genealogy."""

    sku: str
    name: str
    unit: str
    tier: str  # raw | intermediate | finished (the lots' kind)
    code: str  # lot code prefix
    size: tuple[int, int]  # typical lot quantity range, in `unit`
    shelf_days: int
    # How long after production a lot is still drawn from: a silo of oats lasts weeks,
    # a batch of dough is baked within days. Bounds a lot's reach the way a plant does.
    use_days: int = 60
    # Ingredients (sku, probability): optional ones make 2-4 inputs per lot.
    recipe: tuple[tuple[str, float], ...] = ()
    plant_only: bool = False  # pack-size variants that only the 1M-lot plant makes

    @property
    def product_kind(self) -> str:
        # The product master knows finished goods and materials; doughs and mixes are
        # never sold, so they are catalogued as materials (their lots say "intermediate").
        return "finished" if self.tier == "finished" else "raw"


RAW = (
    ProductSpec("RM-OAT", "Rolled oats", "kg", "raw", "OAT", (2000, 12000), 365),
    ProductSpec("RM-HNY", "Honey", "kg", "raw", "HNY", (500, 4000), 540),
    ProductSpec("RM-FLR", "Wheat flour", "kg", "raw", "FLR", (5000, 25000), 240),
    ProductSpec("RM-SUG", "Cane sugar", "kg", "raw", "SUG", (2000, 20000), 720),
    ProductSpec("RM-BUT", "Butter", "kg", "raw", "BUT", (500, 3000), 120, use_days=30),
    ProductSpec("RM-NUT", "Hazelnuts", "kg", "raw", "NUT", (300, 2000), 300),
    ProductSpec("RM-RSN", "Raisins", "kg", "raw", "RSN", (300, 2000), 300),
    ProductSpec("RM-FLM", "Packaging film", "roll", "raw", "FLM", (20, 80), 900, use_days=90),
    ProductSpec("RM-CHC", "Chocolate drops", "kg", "raw", "CHC", (300, 2000), 365, plant_only=True),
    ProductSpec("RM-SLT", "Sea salt", "kg", "raw", "SLT", (200, 1000), 1000, plant_only=True),
)
INTERMEDIATE = (
    ProductSpec(
        "IM-CAR",
        "Caramel",
        "kg",
        "intermediate",
        "CAR",
        (200, 800),
        10,
        4,
        (("RM-SUG", 1), ("RM-BUT", 1), ("RM-SLT", 0.3)),
    ),
    ProductSpec(
        "IM-GRM",
        "Granola mix",
        "kg",
        "intermediate",
        "GRM",
        (500, 2000),
        14,
        5,
        (("RM-OAT", 1), ("RM-HNY", 1), ("RM-NUT", 0.6), ("RM-RSN", 0.4)),
    ),
    ProductSpec(
        "IM-DGH",
        "Cookie dough",
        "kg",
        "intermediate",
        "DGH",
        (400, 1500),
        5,
        3,
        (("RM-FLR", 1), ("RM-SUG", 1), ("RM-BUT", 1), ("RM-OAT", 0.5)),
    ),
    ProductSpec(
        "IM-BND",
        "Bar binder",
        "kg",
        "intermediate",
        "BND",
        (200, 900),
        7,
        4,
        (("IM-CAR", 1), ("RM-HNY", 1), ("RM-OAT", 0.5), ("RM-SLT", 0.3)),
    ),
)


def _finished(sku, name, unit, code, base, extra=(), plant_only=False):
    """A finished product: its base intermediate, film, and optional extras."""
    return ProductSpec(
        sku, name, unit, "finished", code, (200, 2000), 270, 0, ((base, 1), ("RM-FLM", 1), *extra), plant_only
    )


FINISHED = (
    _finished("GR-500", "Granola 500 g", "bag", "GR500", "IM-GRM", (("RM-RSN", 0.5), ("RM-HNY", 0.5))),
    _finished("MB-12", "Muesli bar 12-pack", "case", "MB12", "IM-BND", (("RM-OAT", 1), ("RM-NUT", 0.6))),
    _finished("OC-250", "Oat cookies 250 g", "box", "OC250", "IM-DGH", (("RM-OAT", 0.6), ("RM-RSN", 0.3))),
    _finished("GR-1K", "Granola 1 kg", "bag", "GR1K", "IM-GRM", (("RM-RSN", 0.5), ("RM-NUT", 0.5))),
    _finished("GR-CH5", "Chocolate granola 500 g", "bag", "GRC5", "IM-GRM", (("RM-CHC", 1), ("RM-NUT", 0.5)), True),
    _finished("GR-10K", "Granola bulk 10 kg", "sack", "GR10K", "IM-GRM", (("RM-RSN", 0.5), ("RM-HNY", 0.3)), True),
    _finished("MB-24", "Muesli bar 24-pack", "case", "MB24", "IM-BND", (("RM-OAT", 1), ("RM-NUT", 0.6)), True),
    _finished("MB-CH12", "Chocolate bar 12-pack", "case", "MBC12", "IM-BND", (("RM-OAT", 1), ("RM-CHC", 1)), True),
    _finished(
        "OC-500",
        "Oat cookies 500 g",
        "box",
        "OC500",
        "IM-DGH",
        (("RM-OAT", 0.6), ("RM-RSN", 0.3), ("RM-SLT", 0.3)),
        True,
    ),
    _finished("OC-CH250", "Chocolate cookies 250 g", "box", "OCC25", "IM-DGH", (("RM-CHC", 1), ("RM-SLT", 0.3)), True),
)


def catalog(plant: bool) -> tuple[ProductSpec, ...]:
    """Products in production order (ingredients before what they go into)."""
    return tuple(p for p in (*RAW, *INTERMEDIATE, *FINISHED) if plant or not p.plant_only)


def recipe_ok(specs: tuple[ProductSpec, ...]) -> bool:
    """Every ingredient comes earlier in the list: lots can always be made in this order."""
    seen: set[str] = set()
    for spec in specs:
        if any(sku not in seen for sku, _ in spec.recipe if sku in {s.sku for s in specs}):
            return False
        seen.add(spec.sku)
    return True
