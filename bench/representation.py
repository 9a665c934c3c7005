#!/usr/bin/env python
"""What representing one complaint costs, with a new DRF serializer per complaint (its fields
built anew) against one reused serializer (fieldops.representation.represent).

The complaint and its related rows are built in memory: no database, only the CPU work that a
create does three times (its answer, the public and the staff socket message). The two ways
alternate in slices so that a noisy machine treats them alike.

    .venv/bin/python bench/representation.py [--rounds 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import add_json_argument, format_table, make_row, median, write_json  # noqa: E402


def complaint_in_memory():
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from boundaries.models import AdminArea, Agency
    from fieldops.models import Category, Complaint, Crew

    agency = Agency(id=1, code="dpupr", name="Dinas Pekerjaan Umum dan Penataan Ruang", short_name="DPUPR")
    now = timezone.now()
    return Complaint(
        id=1, tracking_code="LKS-ABCD-2345", status="assigned", description="Jalan berlubang besar " * 4,
        address="Jl. Daan Mogot 1", location=Point(106.64, -6.178, srid=4326), channel="web",
        category=Category(id=1, slug="roads", name_id="Jalan rusak", name_en="Damaged road", sla_hours=72),
        kecamatan=AdminArea(id=2, code="36.71.01", name="Tangerang"),
        kelurahan=AdminArea(id=3, code="36.71.01.1001", name="Sukarasa"),
        agency=agency, crew=Crew(id=4, name="Tim Sigap PUPR 1", agency=agency), priority=2,
        created_at=now, updated_at=now, due_at=now + timedelta(hours=72),
    )


def per_complaint_ms(fn, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) * 1000 / n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-slice", type=int, default=300)
    add_json_argument(parser)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    from fieldops.representation import ComplaintPublicSerializer, ComplaintStaffSerializer, represent

    c = complaint_in_memory()

    def fresh():
        ComplaintPublicSerializer(c, context={"photos": False}).data
        ComplaintPublicSerializer(c, context={"photos": False}).data
        ComplaintStaffSerializer(c, context={"photos": False}).data

    def reused():
        represent(c)
        represent(c)
        represent(c, staff=True)

    fresh(), reused()  # warm up
    new_ms, reuse_ms = [], []
    for _ in range(args.rounds):
        new_ms.append(per_complaint_ms(fresh, args.per_slice))
        reuse_ms.append(per_complaint_ms(reused, args.per_slice))
    rows = [
        make_row("representation", "3 representations per create, new serializers (ms)", median(new_ms)),
        make_row("representation", "3 representations per create, reused (ms)", median(reuse_ms),
                 baseline=median(new_ms)),
    ]
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
