"""LAKSA-GIS project package.

Django's PostgreSQL backend uses psycopg 3 whenever it can import it, and psycopg2 only
otherwise. The job engine (procrastinate) needs psycopg 3 installed for its worker's own
connections, while Django keeps psycopg2 (common/copystream.py streams COPY through
psycopg2's copy_expert, and the benchmarks were measured on it). So Django's driver module
is loaded once here, with psycopg 3 hidden for that import only: Django settles on psycopg2,
and psycopg 3 is importable again for procrastinate afterwards. procrastinate's Django
connector then defers jobs on Django's own (psycopg2) connection and transaction."""

import sys

_missing = object()
_saved = sys.modules.get("psycopg", _missing)
sys.modules["psycopg"] = None  # makes `import psycopg` raise ImportError
try:
    import django.db.backends.postgresql.psycopg_any  # noqa: E402,F401  (decides is_psycopg3)
    import django.db.backends.postgresql.base  # noqa: E402,F401  (binds Database)
finally:
    if _saved is _missing:
        del sys.modules["psycopg"]
    else:
        sys.modules["psycopg"] = _saved
del _missing, _saved
