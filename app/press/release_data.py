"""Gather what a statement's press release prints, as plain data for the pure builder in
app/reports/statement.py: the approved version's text if any, else the current one (a draft)."""

from datetime import datetime

from flask import current_app

from ..extensions import db
from ..models import STATEMENT_KINDS, Statement, StatementVersion
from ..models.types import utcnow
from ..reports.statement import ReleaseData
from ..web.zones import company_zone
from ..workflow import STATEMENT


def _local(value: datetime, fmt: str) -> str:
    """In the company's zone: a release is read away from any one user."""
    local = value.astimezone(company_zone())
    return f"{local.strftime(fmt)} {local.tzname()}" if "%H" in fmt else local.strftime(fmt)


def release_data(statement: Statement) -> ReleaseData:
    """The approved version's text if any, else the current one (a draft)."""
    number = statement.approved_version or statement.current_version
    version = db.session.get(StatementVersion, (statement.id, number))
    approved = statement.approved_version is not None
    now = utcnow()
    return ReleaseData(
        company=current_app.config["COMPANY_NAME"],
        reference=statement.reference,
        kind=STATEMENT_KINDS.get(statement.kind, statement.kind),
        version=number,
        title=version.title,
        body=version.body,
        dated=_local(statement.published_at or statement.approved_at or now, "%d %B %Y"),
        approved_by=statement.approved_by.name if approved else None,
        approved_at=_local(statement.approved_at, "%Y-%m-%d %H:%M") if approved else None,
        withdrawn=STATEMENT.in_set("final", statement.status),
        generated_at=now,
    )
