"""The Trends page's filters and its four panels (chart, alt text, data table, CSV rows)."""

from dataclasses import dataclass, field

from ..charts import data_uri
from ..charts.effectiveness import (
    EFFECTIVENESS_TITLE,
    describe,
    effectiveness_chart,
    effectiveness_header,
    effectiveness_rows,
)
from ..charts.pareto import PARETO_TITLE, pareto_chart
from ..charts.rates import RATES_TITLE, rates_chart
from ..charts.weekly import WEEKLY_TITLE, weekly_chart
from ..web.filters import FilterParser, whole_number
from . import queries

KINDS = ("weekly", "pareto", "rates", "effectiveness")
DEFAULT_MONTHS = 12
MAX_MONTHS = 36


@dataclass
class TrendFilters:
    product_id: int | None = None
    months: int = DEFAULT_MONTHS
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args, products: dict[int, str]) -> "TrendFilters":
        """Product and period from the query string; a bad value is named in a message and
        replaced by the default (all products, 12 months)."""
        parser = FilterParser(args)
        product_id = parser.record_id("product")
        if product_id is not None and product_id not in products:
            parser.errors.append(f"There is no product with id {product_id}; showing all products.")
            product_id = None
        raw = (args.get("months") or "").strip()
        months = DEFAULT_MONTHS
        if raw:
            if number := whole_number(raw, MAX_MONTHS):
                months = number
            else:
                parser.errors.append(
                    f"The period '{raw[:20]}' is not a whole number of months from 1 to {MAX_MONTHS}; "
                    f"showing {DEFAULT_MONTHS} months."
                )
        return cls(product_id, months, parser.errors)

    def args(self) -> dict:
        """The filters as query arguments (for the CSV links)."""
        out = {"months": self.months}
        if self.product_id:
            out["product"] = self.product_id
        return out


@dataclass
class Panel:
    kind: str
    title: str
    image: str  # data: URI of the SVG
    alt: str
    header: list[str]
    rows: list[list]
    empty: bool


def _weekly(data, draw: bool) -> Panel:
    image = data_uri(weekly_chart(data)) if draw else ""
    return Panel("weekly", WEEKLY_TITLE, image, data.describe(), data.header(), data.rows(), not data.total)


def _pareto(data, draw: bool) -> Panel:
    image = data_uri(pareto_chart(data)) if draw else ""
    return Panel("pareto", PARETO_TITLE, image, data.describe(), data.header(), data.rows_out(), not data.total)


def _rates(period, filters, draw: bool) -> Panel:
    data = queries.rates(period, filters.product_id, queries.TOP_LOTS if draw else None)
    image = data_uri(rates_chart(data)) if draw else ""
    return Panel("rates", RATES_TITLE, image, data.describe(), data.header(), data.rows(), not data.lots)


def _effectiveness(period, filters, draw: bool) -> Panel:
    curves = queries.response_curves(queries.recent_recalls(period, filters.product_id))
    image = data_uri(effectiveness_chart(curves)) if draw else ""
    header, rows = effectiveness_header(), effectiveness_rows(curves)
    return Panel("effectiveness", EFFECTIVENESS_TITLE, image, describe(curves), header, rows, not curves)


def build(kinds: list[str], period, names: dict[int, str], filters: TrendFilters, *, draw: bool = True) -> list[Panel]:
    """The panels of `kinds`, in that order. Weekly and Pareto share one statement. Without
    `draw` (the CSV) no chart is drawn and the rates list every named lot, not the top 20."""
    panels = []
    if "weekly" in kinds or "pareto" in kinds:
        weekly, pareto = queries.weekly_and_pareto(period, names, filters.product_id)
    for kind in kinds:
        if kind == "weekly":
            panels.append(_weekly(weekly, draw))
        elif kind == "pareto":
            panels.append(_pareto(pareto, draw))
        elif kind == "rates":
            panels.append(_rates(period, filters, draw))
        elif kind == "effectiveness":
            panels.append(_effectiveness(period, filters, draw))
        else:
            raise ValueError(kind)
    return panels
