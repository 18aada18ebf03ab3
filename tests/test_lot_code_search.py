"""The lot list's code search: a prefix in any case, served by the ix_search_lots_code index.

With LIKE 'prefix%' both engines read every lot of plant-1M (SQLite's LIKE ignores case, so its
index on code cannot serve it; PostgreSQL's collation is not byte order): 140 and 280 ms.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Lot
from app.trace.queries import LotFilters
from tests import factories

CODES = ("OAT-1", "oat-2", "OATMEAL-3", "BAR-1", "O%T-1", "O_T-2")


def found(q: str) -> list[str]:
    return list(db.session.scalars(LotFilters(q=q).statement().with_only_columns(Lot.code)))


def test_code_search_is_a_prefix_in_any_case_with_wildcards_taken_literally(app):
    product = factories.make_product()
    for code in CODES:
        db.session.add(
            Lot(code=code, product_id=product.id, kind="finished", quantity=1, unit="case", produced_on=date.today())
        )
    db.session.commit()
    assert sorted(found("oat-")) == ["OAT-1", "oat-2"]
    assert sorted(found("OAT")) == ["OAT-1", "OATMEAL-3", "oat-2"]
    assert found("O%") == ["O%T-1"] and found("O_") == ["O_T-2"]
    assert found("zz") == []


def test_code_search_can_use_the_code_index(app):
    stmt = LotFilters(q="OAT-").statement().with_only_columns(Lot.id)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET enable_seqscan = off"))  # a tiny table: would the index serve it?
            plan = " ".join(conn.scalars(sa.text(f"EXPLAIN {compiled}")))
        else:
            plan = " ".join(str(row[-1]) for row in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_search_lots_code" in plan, plan
