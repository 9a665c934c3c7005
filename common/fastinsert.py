"""INSERT statements compiled once per model, for the hot intake path.

`Model.save()` compiles its INSERT through the ORM on every call: about 2 ms of CPU per row on
this project's servers, more than the database needs to store it. `insert_row` builds the
statement once per model and only converts the values. It writes exactly what `save()` would
(same `pre_save` and `get_db_prep_save` per field) and sets the primary key from RETURNING.
No signals are sent: nothing in this project listens to model signals.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import AutoField, BigAutoField, SmallAutoField

_AUTO = (AutoField, BigAutoField, SmallAutoField)
_STATEMENTS: dict[tuple, tuple[str, list]] = {}


def _statement(model, conflict_column: str | None, connection) -> tuple[str, list]:
    key = (model, conflict_column, connection.alias)
    if key not in _STATEMENTS:
        qn = connection.ops.quote_name
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not isinstance(f, _AUTO)]
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if conflict_column:
            sql += f" ON CONFLICT ({qn(conflict_column)}) DO NOTHING"
        sql += f" RETURNING {qn(meta.pk.column)}"
        _STATEMENTS[key] = (sql, fields)
    return _STATEMENTS[key]


def insert_row(obj, *, on_conflict_do_nothing: str | None = None, using: str = DEFAULT_DB_ALIAS) -> bool:
    """INSERT `obj`; False (and nothing written) when the conflict column already has its value."""
    connection = connections[using]
    sql, fields = _statement(type(obj), on_conflict_do_nothing, connection)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True
