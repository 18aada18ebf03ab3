"""The SQL of each kind's search, per database.

One statement per kind returns that kind's page of hits and its total, so the page costs a
fixed number of queries. Codes and references are prefix ranges on indexes; free text goes
through SQLite FTS5 or PostgreSQL full text (migration 0008 builds both).

Every piece of SQL here is a constant of this module; what the user typed only ever travels
in bind parameters (:code, :fts), hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

# PostgreSQL documents: identical to migration 0008, or the GIN indexes are not used.
PG_DOCUMENTS = {
    "complaints": "description",
    "customers": "name",
    "incidents": "title || ' ' || description",
    "recalls": "title || ' ' || reason || ' ' || hazard",
    "statement_versions": "title || ' ' || body",
}


def pg_document(expression: str) -> str:
    return f"to_tsvector('simple', regexp_replace({expression}, '[^[:alnum:]]+', ' ', 'g'))"


class Dialect:
    """SQL fragments for one database."""

    def __init__(self, name: str):
        self.pg = name == "postgresql"

    def text_ids(self, table: str) -> str:
        """Ids of `table` rows whose words match :fts."""
        if self.pg:
            return f"SELECT id FROM {table} WHERE {pg_document(PG_DOCUMENTS[table])} @@ to_tsquery('simple', :fts)"
        return f"SELECT rowid AS id FROM fts_{table} WHERE fts_{table} MATCH :fts"

    def statement_text_ids(self, approved_only: bool) -> str:
        """Statements with a version (or only the approved version) whose words match :fts."""
        if self.pg:
            where = pg_document("v.title || ' ' || v.body")  # the index's expression, with an alias
            join = (
                " JOIN statements s ON s.id = v.statement_id AND s.approved_version = v.number" if approved_only else ""
            )
            return (
                f"SELECT v.statement_id AS id FROM statement_versions v{join} "
                f"WHERE {where} @@ to_tsquery('simple', :fts)"
            )
        join = (
            " JOIN statements s ON s.id = fts_statement_versions.statement_id"
            " AND s.approved_version = fts_statement_versions.number"
            if approved_only
            else ""
        )
        return (
            f"SELECT fts_statement_versions.statement_id AS id FROM fts_statement_versions{join} "
            "WHERE fts_statement_versions MATCH :fts"
        )

    def code(self, column: str) -> str:
        """`upper(column)` as the search index holds it (byte order on PostgreSQL)."""
        return f'upper({column}) COLLATE "C"' if self.pg else f"upper({column})"

    def code_prefix(self, column: str) -> str:
        """upper(column) starts with :code — a range on the ix_search_* expression index."""
        expr = self.code(column)
        return f"{expr} >= :code AND {expr} < :code_hi"

    @staticmethod
    def reference_prefix(column: str) -> str:
        """References are stored upper-case: a range on the unique index, checked exactly."""
        return f"{column} >= :code AND {column} < :code_hi AND substr({column}, 1, :code_len) = :code"


def paged(union: list[str], columns: str, joins: str) -> str:
    """Hits ordered newest first (by id), one page of them, and the number of matches.

    Each source gives at most its newest :window ids, so a word found in most of the plant's
    history costs no more than a rare one; the first :window hits are exact, and a total of
    :window or more is shown as "1,000+". Only the page's rows are joined to their tables;
    the outer LEFT JOIN keeps one row (the total) when the page is empty.
    """
    ids = " UNION ".join(
        f"SELECT id FROM ({part} ORDER BY 1 DESC LIMIT :window) AS src{n}" for n, part in enumerate(union)
    )
    return (
        f"WITH m AS ({ids}), "
        "top AS (SELECT id FROM m ORDER BY id DESC LIMIT :limit OFFSET :offset) "
        "SELECT t.total, h.* FROM (SELECT count(*) AS total FROM m) AS t "
        f"LEFT JOIN (SELECT {columns} FROM top {joins}) AS h ON 1 = 1 "
        "ORDER BY h.id DESC"
    )


def complaints(d: Dialect, with_text: bool) -> str:
    union = [
        f"SELECT id FROM complaints WHERE {d.reference_prefix('reference')}",
        f"SELECT complaint_id AS id FROM complaint_lots WHERE {d.code_prefix('lot_code')}",
    ]
    if with_text:
        union += [
            f"SELECT id FROM complaints WHERE customer_id IN ({d.text_ids('customers')})",
            d.text_ids("complaints"),
        ]
    return paged(
        union,
        "c.id, c.reference, c.status, c.received_at, c.lot_codes, c.description, cu.name AS customer",
        "JOIN complaints c ON c.id = top.id JOIN customers cu ON cu.id = c.customer_id",
    )


def incidents(d: Dialect, with_text: bool) -> str:
    union = [f"SELECT id FROM incidents WHERE {d.reference_prefix('reference')}"]
    if with_text:
        union.append(d.text_ids("incidents"))
    return paged(
        union,
        "i.id, i.reference, i.status, i.created_at, i.title, i.description",
        "JOIN incidents i ON i.id = top.id",
    )


def recalls(d: Dialect, with_text: bool) -> str:
    union = [f"SELECT id FROM recalls WHERE {d.reference_prefix('reference')}"]
    if with_text:
        union.append(d.text_ids("recalls"))
    return paged(
        union,
        "r.id, r.reference, r.status, r.created_at, r.title, r.reason, r.hazard",
        "JOIN recalls r ON r.id = top.id",
    )


def statements(d: Dialect, with_text: bool, approved_only: bool) -> str:
    """All statements and every version's words; or (sales) approved words only."""
    union = [f"SELECT id FROM statements WHERE {d.reference_prefix('reference')}"]
    if with_text:
        union.append(d.statement_text_ids(approved_only))
    if approved_only:
        # Only what may be repeated: an approved version, not withdrawn; show that version's words.
        union = [
            "SELECT s.id FROM statements s WHERE s.approved_version IS NOT NULL AND s.status <> 'withdrawn' "
            f"AND s.id IN ({' UNION '.join(union)})"
        ]
        number = "s.approved_version"
    else:
        number = "s.current_version"
    return paged(
        union,
        "s.id, s.reference, s.status, s.kind, s.incident_id, s.recall_id, s.created_at, v.number, v.title, v.body",
        f"JOIN statements s ON s.id = top.id "
        f"JOIN statement_versions v ON v.statement_id = s.id AND v.number = {number}",
    )


def lots(d: Dialect) -> str:
    """Lots whose code starts with :code, in code order; the count stops at :window."""
    where = d.code_prefix("l.code")
    return (
        f"SELECT t.total, h.* FROM (SELECT count(*) AS total FROM "
        f"(SELECT 1 AS one FROM lots l WHERE {where} LIMIT :window) AS capped) AS t "
        "LEFT JOIN (SELECT l.id, l.code, l.status, l.produced_on, p.name AS product, "
        f"{d.code('l.code')} AS sort_key FROM lots l JOIN products p ON p.id = l.product_id "
        f"WHERE {where} ORDER BY {d.code('l.code')} LIMIT :limit OFFSET :offset) AS h ON 1 = 1 "
        "ORDER BY h.sort_key"
    )
