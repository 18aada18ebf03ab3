"""The recall status report to the agency, in the order of 21 CFR 7.53(b): consignees notified
(dates, methods), responding (quantity on hand), not responding (named), returned or corrected
by each consignee and accounted for, effectiveness checks, estimated time frame for completion."""

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from ..styles import BODY, H1, H2, para, text
from .data import RecallReportData
from .full import balance_rows
from .layout import (
    FLAG_LEGEND,
    LEAD,
    Clock,
    chunked,
    day,
    facts,
    figures,
    fit,
    flag,
    percent,
    qty,
    render,
    signatures,
    yes_no,
)

NON_RESPONDER_WIDTHS = [52 * mm, 15 * mm, 47 * mm, 28 * mm, 18 * mm, 20 * mm]
RESPONDER_WIDTHS = [46 * mm, 26 * mm, 17 * mm, 16 * mm, 16 * mm, 17 * mm, 24 * mm, 18 * mm]


def _header(data: RecallReportData, clock: Clock) -> list:
    f, e = data.facts, data.figures
    return [
        Paragraph(f"Recall status report {text(f.reference)}", H1),
        para(
            f"Status report under 21 CFR 7.53(b) as of {clock.full(data.generated_at)}. "
            f"Times are in {data.zone.key}, the company's time zone.",
            BODY,
        ),
        Spacer(1, 2 * mm),
        facts(
            [
                ("Recall", f"{f.reference} — {f.title}"),
                ("Status", f.status),
                ("Classification", f.classification),
                ("Depth", f.depth),
                ("Remedy", f.remedy),
                ("Approved", f"{clock.full(f.approved_at)} by {f.approved_by}" if f.approved_at else "not approved"),
                ("Lots in scope", f"{data.lot_total:,} (root lots: {', '.join(data.root_codes) or 'none'})"),
                ("Consignees", f"{e.consignees:,}"),
            ]
        ),
    ]


def _notified(data: RecallReportData) -> list:
    e = data.figures
    not_told = {k: v for k, v in e.states.items() if k in ("pending", "queued", "failed")}
    waiting = ", ".join(f"{count:,} {name}" for name, count in sorted(not_told.items()))
    rows = [[day(r.day), r.method, f"{r.count:,}"] for r in data.notified_by_day]
    return [
        Paragraph("1. Consignees notified, with dates and method of notification", H2),
        para(
            f"{e.notified:,} of {e.consignees:,} consignees notified ({percent(e.notified_percent)})."
            + (f" Not yet known to be told: {waiting}." if waiting else ""),
            LEAD,
        ),
        *chunked(["Date", "Method", "Consignees notified"], [rows], [30 * mm, 40 * mm, 35 * mm], right=(2,)),
    ]


def _responding(data: RecallReportData) -> list:
    e = data.figures
    return [
        Paragraph("2. Consignees responding, and quantity on hand when the notice was received", H2),
        para(
            f"{e.responded:,} of {e.consignees:,} consignees responded ({percent(e.responded_percent)}); "
            f"quantity on hand when they received the notice: {qty(e.on_hand)}.",
            BODY,
        ),
    ]


def _not_responding(data: RecallReportData, clock: Clock) -> list:
    w = NON_RESPONDER_WIDTHS
    rows = (
        [
            [
                fit(r.name, w[0]),
                r.country,
                fit(r.contact, w[2]),
                f"{clock.at(r.notified_at)}\n{r.method}" if r.notified_at else r.told,
                f"{r.reminders:,}",
                qty(r.shipped),
            ]
            for r in chunk
        ]
        for chunk in data.consignees(responded=False)
    )
    return [
        Paragraph("3. Consignees not responding", H2),
        para(f"{data.figures.non_responders:,} consignee(s) have not responded:", LEAD),
        *chunked(["Consignee", "Country", "Contact", "Notified", "Reminders", "Shipped"], rows, w, right=(4, 5)),
    ]


def _returned(data: RecallReportData, clock: Clock) -> list:
    w = RESPONDER_WIDTHS
    rows = (
        [
            [
                fit(r.name + flag(r), w[0]),
                clock.at(r.responded_at),
                qty(r.shipped),
                qty(r.on_hand),
                qty(r.returned),
                qty(r.destroyed),
                qty(r.accounted),
                yes_no(r.distributed_further),
            ]
            for r in chunk
        ]
        for chunk in data.consignees(responded=True)
    )
    header = ["Consignee", "Responded", "Shipped", "On hand", "Returned", "Destroyed", "Accounted for", "Passed on"]
    return [
        Paragraph("4. Products returned or corrected by each consignee, and quantity accounted for", H2),
        figures(balance_rows(data)),
        Spacer(1, 2 * mm),
        para(f"Quantities are in the lots' units. {FLAG_LEGEND}", LEAD),
        *chunked(header, rows, w, right=(2, 3, 4, 5, 6)),
    ]


def _effectiveness(data: RecallReportData) -> list:
    e = data.figures
    sample = (
        "no effectiveness checks (level E)"
        if not e.sample_share
        else f"{e.sample_size:,} of {e.consignees:,} consignees ({e.sample_share}%)"
    )
    met = "reached" if e.responded >= e.sample_size else f"not yet reached ({e.sample_size - e.responded:,} to go)"
    rows = [
        ("Effectiveness check level", data.facts.effectiveness_level),
        ("Consignees to check (sample size)", sample),
        ("Checks made (consignee responses on record)", f"{e.responded:,}"),
        ("Sample", met if e.sample_share else "—"),
        ("Result: quantity still on hand at consignees", qty(e.on_hand)),
        ("Result: quantity accounted for", f"{qty(e.accounted)} of {qty(e.shipped)} ({percent(e.accounted_percent)})"),
        ("Result: consignees who passed the product on", f"{e.distributed_further:,}"),
    ]
    return [Paragraph("5. Effectiveness checks: number and results", H2), figures(rows, (100 * mm, 80 * mm))]


def _completion(data: RecallReportData, clock: Clock) -> list:
    f = data.facts
    out = [
        Paragraph("6. Estimated time frame for completion", H2),
        para(
            f"Estimated completion: {day(f.estimated_completion)}."
            if f.estimated_completion
            else "No estimated completion date has been set.",
            BODY,
        ),
    ]
    if f.completion_note:
        out.append(para(f"Completion note: {f.completion_note}", BODY))
    if f.terminated_at:
        out.append(para(f"Terminated {clock.full(f.terminated_at)}. {f.termination_note}", BODY))
    return out


def build_status_report(data: RecallReportData) -> bytes:
    """The 21 CFR 7.53 status report as PDF bytes."""
    clock = Clock(data.zone)
    story = [
        *_header(data, clock),
        *_notified(data),
        *_responding(data),
        *_not_responding(data, clock),
        *_returned(data, clock),
        *_effectiveness(data),
        *_completion(data, clock),
        *signatures(data, clock),
    ]
    return render(story, data, "status report")
