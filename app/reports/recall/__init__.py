"""The recall reports: the 21 CFR 7.53 status report and the full recall report, laid out from
plain data (data.py) that app/recalls/report_data.py gathers. status.py and full.py only lay out.
"""

from .data import RecallReportData
from .full import build_recall_report
from .status import build_status_report

__all__ = ["RecallReportData", "build_recall_report", "build_status_report"]
