"""COPY streaming: all rows in order across many chunks, a client that leaves early cancels the
COPY and leaves a usable connection, and an SQL error reaches the caller."""

import csv
import io

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from common.copystream import copy_sql, copy_stream

pytestmark = pytest.mark.django_db

SERIES = "SELECT g AS n, repeat('x', %(width)s) AS pad FROM generate_series(1, %(rows)s) g"


def test_every_row_in_order_across_many_chunks():
    sql = copy_sql(SERIES, {"rows": 20000, "width": 30})
    chunks = list(copy_stream(sql, setup_sql="SET LOCAL jit = off", chunk_bytes=4096))
    assert len(chunks) > 50
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert [int(r["n"]) for r in rows] == list(range(1, 20001))
    assert rows[0]["pad"] == "x" * 30


def test_a_reader_that_leaves_early_cancels_the_copy():
    # Far more than the bounded queue holds: the COPY must be stopped, not run to its end.
    sql = copy_sql(SERIES, {"rows": 5_000_000, "width": 100})
    stream = copy_stream(sql, chunk_bytes=4096)
    first = next(stream)
    assert first.startswith(b"n,pad\n1,")
    stream.close()
    # The connection is usable again, in the test's own transaction.
    with connection.cursor() as cur:
        cur.execute("SELECT 41 + 1")
        assert cur.fetchone()[0] == 42
    assert connection.in_atomic_block and not connection.needs_rollback


def test_an_sql_error_reaches_the_reader():
    sql = copy_sql("SELECT 1 / (g - 3) FROM generate_series(1, 5) g", {})
    with pytest.raises(DatabaseError, match="division by zero"):
        with transaction.atomic():
            list(copy_stream(sql, chunk_bytes=1))
