"""PDF reports: pure functions from plain data to bytes (no database access here)."""

from .data import IncidentReportData
from .incident import build_incident_report

__all__ = ["IncidentReportData", "build_incident_report"]
