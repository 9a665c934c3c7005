"""The command centre's search at a million complaints (issue 15).

Builds a separate database (default `laksa_bench_ops`, from template1), migrates it, loads the
Tangerang fixtures with demo accounts and `generate_demo_complaints` (COPY), then times
`GET /api/v1/ops/complaints/` as the operator through the whole Django stack (middleware,
session auth, DRF, the FilterSet, the cursor page and its total count; Django's test client, no
HTTP socket): `q` with words of the descriptions plus two filters (the open statuses and a
kecamatan, or overdue and a category), the first page of 50. In the same run it times the raw
SQL those requests execute (captured once, replayed on the cursor) and a tracking-code search.

    .venv/bin/python bench/ops_search.py                   # build (or reuse) and measure
    .venv/bin/python bench/ops_search.py --rebuild         # drop and rebuild the database

Goal (1M complaints, 2 cores): the words + two filters search p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchlib import (  # noqa: E402
    add_json_argument, django_client, format_table, generated_database, machine_description, make_row, percentile, write_json,
)

BENCH = "ops_search"
# Words citizens write (the generator's descriptions hold them), one or two per search.
WORDS = ["sampah", "jalan berlubang", "lampu mati", "saluran tersumbat", "genangan", "pohon tumbang",
         "parkir liar", "aspal rusak", "sampah menumpuk", "bantuan", "antrean", "fogging"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", default="laksa_bench_ops")
    parser.add_argument("--host-url", default="postgresql://laksa:laksa@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=40)
    add_json_argument(parser)
    args = parser.parse_args()

    rows = []
    env, gen_s = generated_database(db=args.db, count=args.count, host_url=args.host_url, rebuild=args.rebuild)
    if gen_s is not None:
        rows.append(make_row(BENCH, f"generate {args.count:,} (s)", gen_s))

    client = django_client(env, "operator")
    from urllib.parse import urlencode

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fieldops.models import OPEN_STATUSES, Category, Complaint
    from fieldops.ops_apis import LIST_SESSION_SQL

    rng = random.Random(15)
    kecamatan = list(Complaint.objects.order_by().values_list("kecamatan__code", flat=True).distinct()[:20])
    categories = list(Category.objects.filter(active=True).values_list("slug", flat=True))
    open_ = ",".join(str(s) for s in OPEN_STATUSES)
    code = Complaint.objects.order_by("?").values_list("tracking_code", flat=True).first()

    def words_query():
        if rng.random() < 0.5:
            extra = {"status": open_, "kecamatan": rng.choice(kecamatan)}
        else:
            extra = {"overdue": "true", "category": rng.choice(categories)}
        return {"q": rng.choice(WORDS), **extra, "page_size": "50"}

    def request(params):
        r = client.get("/api/v1/ops/complaints/?" + urlencode(params))
        assert r.status_code == 200, (params, r.status_code, r.content[:300])
        return r

    def sql_of(params):
        with CaptureQueriesContext(connection) as ctx:
            request(params)
        # The statements on complaints (count and page); session and user reads are the stack's.
        return [q["sql"] for q in ctx.captured_queries if "fieldops_complaint" in q["sql"]]

    def raw(statements):
        # The same statements with the view's transaction-local settings, straight on the cursor.
        with connection.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(LIST_SESSION_SQL)
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()
            cur.execute("COMMIT")

    def measure(name, make_params, goal):
        cases = [make_params() for _ in range(args.repeat)]
        statements = [sql_of(p) for p in cases]  # also warms caches and plans
        a, b, counts = [], [], []
        for params, sql in zip(cases, statements):  # interleaved: drift on a shared machine hits both
            t = time.perf_counter()
            counts.append(request(params).json()["count"])
            a.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw(sql)
            b.append((time.perf_counter() - t) * 1000)
        a50, a95, b50, b95 = percentile(a, 50), percentile(a, 95), percentile(b, 50), percentile(b, 95)
        print(f"{name:<40} api p50 {a50:7.1f} ms  p95 {a95:7.1f} ms | raw SQL p50 {b50:7.1f} ms  p95 {b95:7.1f} ms"
              f" | matches median {sorted(counts)[len(counts) // 2]:,}", flush=True)
        rows.append(make_row(BENCH, f"{name} p50 ms", a50, b50))
        rows.append(make_row(BENCH, f"{name} p95 ms", a95, b95, goal))

    print(f"\n{machine_description()}; {Complaint.objects.count():,} complaints; {args.repeat} runs each\n")
    measure("q words + 2 filters, first page", words_query, "value <= 150")
    measure("q tracking code", lambda: {"q": code.lower().replace("-", "")}, "value <= 150")
    measure("no q, open statuses, first page", lambda: {"status": open_, "page_size": "50"}, None)
    # Every status (no status filter): the words' index over all complaints, a kecamatan beside it.
    measure("q words, any status + kecamatan", lambda: {"q": rng.choice(WORDS), "kecamatan": rng.choice(kecamatan),
                                                        "page_size": "50"}, None)
    print()
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
