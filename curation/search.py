"""Full-text search over the catalogue index, with stemming and ranking, on either database.

PostgreSQL: ``DatasetIndex.search_vector`` is a stored, GIN-indexed ``tsvector`` built with the
``english`` configuration (Snowball stemming: "cubes" finds "cube", "picking" finds "pick"), with
weights so that where a word occurs decides the ranking:

    A  title
    B  tasks and robot type
    C  everything else (description, lab, domain, camera and feature names: ``search_text``)

Queries go through ``websearch_to_tsquery`` (quotes, ``or``, ``-word`` work as on a search engine)
and are ranked with ``ts_rank``.

SQLite: an FTS5 table (``curation_datasetindex_fts``, porter tokenizer, so stemming too) with one
column per weight, ranked with ``bm25`` weighted the same way. The migration creates it only on
SQLite, with a trigger that drops a row's text when the row is deleted.

Reads (``matching``, ``rank``) are used by ``curation.selectors``; the write (``index_text``) by
``curation.services.catalogue`` whenever a row is indexed.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, QuerySet
from django.db.models.expressions import RawSQL

CONFIG = "english"
FTS_TABLE = "curation_datasetindex_fts"
# bm25 column weights, in the FTS table's column order: title, tasks, robot, body (A, B, B, C).
FTS_WEIGHTS = (10.0, 4.0, 4.0, 1.0)

# PostgreSQL: the weighted vector of one index row, computed from its columns and its tasks.
PG_VECTOR_SQL = f"""
    setweight(to_tsvector('{CONFIG}', coalesce(ix.title, '')), 'A')
    || setweight(to_tsvector('{CONFIG}', coalesce(ix.robot_type, '') || ' ' || coalesce(
        (SELECT string_agg(t.task, ' ') FROM curation_indextask t WHERE t.index_id = ix.id), ''
    )), 'B')
    || setweight(to_tsvector('{CONFIG}', coalesce(ix.search_text, '')), 'C')
"""  # noqa: S608 - constants only


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(q: str) -> list[str]:
    """The words of a query for FTS5, which has its own query syntax: quoting each word makes any
    user input a plain AND of terms (no syntax errors, no column filters)."""
    return re.findall(r"\w+", q.lower())


def fts_match_expression(q: str) -> str:
    return " ".join(f'"{w}"' for w in _words(q))


def searchable(q: str) -> bool:
    return bool(_words(q))


def pg_query(q: str) -> SearchQuery:
    return SearchQuery(q, config=CONFIG, search_type="websearch")


def matching(qs: QuerySet, q: str) -> QuerySet:
    """Rows whose text matches ``q`` (stemmed on both databases)."""
    if not searchable(q):
        return qs.none()
    if is_postgres():
        return qs.filter(search_vector=pg_query(q))
    return qs.filter(
        pk__in=RawSQL(  # noqa: S611 - the user's words go in as a parameter
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608 - constant
            [fts_match_expression(q)],
        )
    )


def rank(q: str):
    """An expression for relevance, higher is better (to order by descending)."""
    if is_postgres():
        return SearchRank(F("search_vector"), pg_query(q))
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    # bm25 is negative, and lower is better; evaluated per row with its own MATCH.
    return RawSQL(  # noqa: S611 - the user's words go in as a parameter
        f"(SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "  # noqa: S608 - constants
        f"WHERE {FTS_TABLE} MATCH %s AND rowid = curation_datasetindex.id)",
        [fts_match_expression(q)],
        output_field=FloatField(),
    )


def index_text(row_ids: list[int] | None = None) -> None:
    """(Re)build the search text of the given index rows (all rows when ``None``) from their
    columns and tasks. Called after the rows and their tasks are written."""
    if row_ids is not None and not row_ids:
        return
    where, params = ("WHERE ix.id = ANY(%s)", [list(row_ids)]) if row_ids is not None else ("", [])
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"UPDATE curation_datasetindex ix SET search_vector = {PG_VECTOR_SQL} {where}",  # noqa: S608
                params,
            )
            return
        if connection.vendor != "sqlite":
            return  # other databases: no full-text index (matching() would then fail loudly)
        if row_ids is None:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608 - constant
            where, params = "", []
        else:
            marks = ", ".join("%s" for _ in row_ids)
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})",  # noqa: S608 - constant
                list(row_ids),
            )
            where, params = f"WHERE ix.id IN ({marks})", list(row_ids)
        cursor.execute(
            f"""INSERT INTO {FTS_TABLE} (rowid, title, tasks, robot, body)
            SELECT ix.id, ix.title,
                   coalesce((SELECT group_concat(t.task, ' ') FROM curation_indextask t
                             WHERE t.index_id = ix.id), ''),
                   replace(ix.robot_type, '_', ' '), ix.search_text
            FROM curation_datasetindex ix {where}""",  # noqa: S608 - constants and placeholders
            params,
        )
