"""Server-side charts: builders turn plain data into ReportLab Drawings, which the web shows
as SVG (`data_uri`) and the PDF reports place as flowables. No database access here."""

from .drawing import data_uri, to_svg
from .effectiveness import EFFECTIVENESS_TITLE, ResponseCurve, effectiveness_chart
from .pareto import PARETO_TITLE, ParetoData, pareto_chart
from .rates import RATES_TITLE, LotRate, RateData, rates_chart
from .weekly import WEEKLY_TITLE, WeeklyData, weekly_chart

__all__ = [
    "EFFECTIVENESS_TITLE",
    "PARETO_TITLE",
    "RATES_TITLE",
    "WEEKLY_TITLE",
    "LotRate",
    "ParetoData",
    "RateData",
    "ResponseCurve",
    "WeeklyData",
    "data_uri",
    "effectiveness_chart",
    "pareto_chart",
    "rates_chart",
    "to_svg",
    "weekly_chart",
]
