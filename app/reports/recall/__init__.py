"""The recall reports: the 21 CFR 7.53 status report and the full recall report.

Unlike the incident report, the reading lives here too (data.py): the consignee and lot
lists are streamed in chunks while the PDF is laid out, so the builders take the data
object whose generators read them. status.py and full.py only lay out.
"""

from .data import RecallReportData, recall_report_data
from .full import build_recall_report
from .status import build_status_report

__all__ = ["RecallReportData", "build_recall_report", "build_status_report", "recall_report_data"]
