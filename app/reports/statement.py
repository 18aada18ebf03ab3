"""A press statement as a press-release PDF, built from plain data (app/press/release_data.py
gathers it): the approved version when there is one; otherwise the current text, marked
DRAFT — NOT APPROVED on every page.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from .styles import BODY, H1, MARGIN, SMALL, NumberedCanvas, a4_document, text

DRAFT_MARK = "DRAFT — NOT APPROVED"
WITHDRAWN_MARK = "WITHDRAWN"
HEADER = BODY.clone("ReleaseHeader", fontName="Helvetica-Bold", fontSize=12, leading=15)
KIND = BODY.clone("ReleaseKind", fontName="Helvetica-Bold", textColor=colors.HexColor("#6c757d"))
BANNER = BODY.clone("ReleaseBanner", fontName="Helvetica-Bold", fontSize=12, textColor=colors.HexColor("#b02a37"))
PARAGRAPH = BODY.clone("ReleaseParagraph", fontSize=11, leading=15, spaceAfter=6)


@dataclass(frozen=True)
class ReleaseData:
    company: str
    reference: str
    kind: str  # label
    version: int
    title: str
    body: str
    dated: str  # the release's date, in the company's zone
    approved_by: str | None
    approved_at: str | None
    withdrawn: bool
    generated_at: datetime

    @property
    def marks(self) -> list[str]:
        return [m for m, on in ((DRAFT_MARK, not self.approved_by), (WITHDRAWN_MARK, self.withdrawn)) if on]


def paragraphs(body: str) -> list[str]:
    """Paragraphs are separated by empty lines; single line breaks stay inside a paragraph."""
    blocks, current = [], []
    for line in body.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _watermark(marks: list[str], canvas, doc) -> None:
    if not marks:
        return
    canvas.saveState()
    canvas.setFont("Helvetica-Bold", 44)
    canvas.setFillColor(colors.Color(0.85, 0.2, 0.2, alpha=0.15))
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(40)
    canvas.drawCentredString(0, 0, " · ".join(marks))
    canvas.restoreState()


def build_release(data: ReleaseData) -> bytes:
    """The press release as PDF bytes."""
    buffer = io.BytesIO()
    doc = a4_document(buffer, f"{data.reference} version {data.version}", data.company, MARGIN + 5 * mm)
    story = [Paragraph(text(data.company), HEADER), Paragraph(text(data.kind.upper()), KIND)]
    story += [Paragraph(text(mark), BANNER) for mark in data.marks]
    story += [
        Paragraph(text(f"{data.dated} · {data.reference} · version {data.version}"), SMALL),
        Spacer(1, 4 * mm),
        Paragraph(text(data.title), H1),
        *(Paragraph(text(block), PARAGRAPH) for block in paragraphs(data.body)),
        Spacer(1, 4 * mm),
        Paragraph("— ENDS —", PARAGRAPH),
        Spacer(1, 6 * mm),
    ]
    if data.approved_by:
        approval = f"Approved by {data.approved_by} on {data.approved_at} (electronic signature)."
    else:
        approval = f"{DRAFT_MARK}: this version has not been approved and must not be released."
    story.append(Paragraph(text(approval), SMALL))
    footer = f"{data.company} · {data.reference} v{data.version} · generated {data.generated_at:%Y-%m-%d %H:%M} UTC"
    mark = partial(_watermark, data.marks)
    doc.build(
        story,
        onFirstPage=mark,
        onLaterPages=mark,
        canvasmaker=partial(NumberedCanvas, footer=footer),  # no user text in the footer
    )
    return buffer.getvalue()
