"""Demo data: `load("small")` for `make run`, `load("plant-1M")` for benchmarks.

Both are deterministic: a fixed seed, and dates counted back from `today`, so two loads
on the same day give the same lots, codes and shipments.
"""

from datetime import date

from .masters import DEMO_PASSWORD, DEMO_USERS

SCALES = ("small", "plant-1M")

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "SCALES", "load"]


def load(scale: str = "small", today: date | None = None) -> None:
    """Load demo data of this scale into an empty database (the caller commits)."""
    if scale == "small":
        from .small import load as load_small

        load_small(today)
        # After the records, so loading them does not send a pile of alerts.
        from ..alerts.defaults import install_default_rules

        install_default_rules()
    elif scale == "plant-1M":
        from .plant import generate_plant

        generate_plant(1_000_000, today=today)
    else:
        raise ValueError(f"Unknown demo scale {scale!r}; use one of {', '.join(SCALES)}.")
