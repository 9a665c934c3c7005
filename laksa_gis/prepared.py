"""Server-side prepared statements for hot queries whose planning costs more than running them.

PostgreSQL plans every statement it receives. For the intake's category and duplicate-hint
query, planning took 0.5 ms of the backend's CPU against 0.1 ms to run it
(pg_stat_statements, docs/BENCHMARKS.md). A statement PREPAREd once per database session
is planned once (PostgreSQL switches to a generic plan after five custom ones when that is no
worse) and then only EXECUTEd.

Prepared statements live as long as the database session. Each Django connection remembers
what it prepared (keyed by the DB-API connection object, so a reconnect prepares again). A
pooler that hands sessions around per transaction (PgBouncer in transaction mode) would lose
them: set `DB_PREPARED_STATEMENTS=off` there, and the same SQL is sent unprepared.
"""

from __future__ import annotations

import re
import weakref

from django.conf import settings
from django.db import connections, DEFAULT_DB_ALIAS

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# DB-API connection -> names prepared in its session.
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
_positional: dict[str, tuple[str, str, list[str]]] = {}


def _to_positional(name: str, sql: str) -> tuple[str, str, list[str]]:
    """The PREPARE and EXECUTE statements for `sql` (`%(key)s` as `$1..$n`), and the key order."""
    if name not in _positional:
        order: list[str] = []

        def number(match: re.Match) -> str:
            key = match.group(1)
            if key not in order:
                order.append(key)
            return f"${order.index(key) + 1}"

        positional = _PLACEHOLDER.sub(number, sql).replace("%%", "%")
        args = ", ".join(["%s"] * len(order))
        _positional[name] = (f"PREPARE {name} AS {positional}",
                             f"EXECUTE {name}({args})" if order else f"EXECUTE {name}", order)
    return _positional[name]


def execute_prepared(cursor, *, name: str, sql: str, params: dict, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run `sql` (with `%(key)s` placeholders) as the prepared statement `name` on `cursor`."""
    if not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        cursor.execute(sql, params)
        return
    connection = connections[using]
    prepare, execute, order = _to_positional(name, sql)
    done = _prepared.setdefault(connection.connection, set())
    if name not in done:
        cursor.execute(prepare)
        done.add(name)
    cursor.execute(execute, [params[k] for k in order])


def fetchone_prepared(*, name: str, sql: str, params: dict, using: str = DEFAULT_DB_ALIAS):
    """The first row of `sql` run as the prepared statement `name`, or None."""
    with connections[using].cursor() as cursor:
        execute_prepared(cursor, name=name, sql=sql, params=params, using=using)
        return cursor.fetchone()
