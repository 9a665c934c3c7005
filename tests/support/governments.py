"""A second (and third) government beside Kota Tangerang, for transfer tests.

The shared test database holds Kota Tangerang only (tests/conftest.py); other tests count its
areas. These helpers add a neighbour without touching that data: the government, its command
center, an operator, and its kab/kota polygon (the real one, tests/support/data) as an
`AdminArea` of the current generation (no pieces: routing does not see it) or as a
`NationalArea`. Inside a test transaction all of it rolls back; committed tests (the browser)
call `neighbour_remove`.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data" / "banten_kabkota_36.03_36.73.geojson"
KAB_TANGERANG = ("36.03", "Kabupaten Tangerang")
KOTA_SERANG = ("36.73", "Kota Serang")
# In Kota Tangerang (kecamatan Jatiuwung), about 370 m from the line with Kabupaten Tangerang.
NEAR_KAB_TANGERANG = (106.5615, -6.1850)


def _geometry(code: str):
    from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

    feature = next(f for f in json.loads(DATA.read_text())["features"] if f["properties"]["kode"] == code)
    geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
    return geom if geom.geom_type == "MultiPolygon" else MultiPolygon(geom, srid=4326)


def neighbour_government(code: str = KAB_TANGERANG[0], name: str = KAB_TANGERANG[1], *, area: str | None = "admin",
                         operator: str | None = "operator-kabtng"):
    """A government with a command center, an operator (username `operator`, password set by the
    caller) and its area: "admin" (kab/kota of the current generation), "national" or None."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from boundaries.models import AdminArea, Agency, AgencyKind, AreaKind, AreaLevel, BoundaryGeneration, NationalArea
    from fieldops import permissions
    from fieldops.citysetup import government_ensure
    from fieldops.models import StaffProfile

    government = government_ensure(code=code, name=name)
    Agency.objects.get_or_create(government=government, code="command-center", defaults={
        "name": f"Command Center {name}", "short_name": "Command Center", "kind": AgencyKind.COMMAND_CENTER})
    jenis = AreaKind.KABUPATEN if name.lower().startswith("kab") else AreaKind.KOTA
    if area == "admin":
        AdminArea.objects.get_or_create(generation=BoundaryGeneration.current(), level=AreaLevel.KOTA, code=code,
                                        defaults={"name": name, "jenis": jenis, "geom": _geometry(code)})
    elif area == "national":
        NationalArea.objects.get_or_create(code=code, defaults={"level": AreaLevel.KOTA, "name": name, "jenis": jenis,
                                                                "parent_code": code[:2], "geom": _geometry(code)})
    if operator:
        user, _ = get_user_model().objects.get_or_create(username=operator, defaults={"first_name": f"Operator {name}"})
        user.groups.add(Group.objects.get(name=permissions.OPERATOR))
        StaffProfile.objects.update_or_create(user=user, defaults={"government": government, "agency": None})
    return government


def neighbour_remove(code: str = KAB_TANGERANG[0], operator: str | None = "operator-kabtng") -> None:
    """Delete what `neighbour_government` made (its complaints must be gone already)."""
    from django.contrib.auth import get_user_model

    from boundaries.models import AdminArea, Agency, AreaLevel, Government, NationalArea
    from fieldops.models import StaffProfile

    if operator:
        StaffProfile.objects.filter(user__username=operator).delete()
        get_user_model().objects.filter(username=operator).delete()
    AdminArea.objects.filter(level=AreaLevel.KOTA, code=code).delete()
    NationalArea.objects.filter(code=code).delete()
    Agency.objects.filter(government__code=code).delete()
    Government.objects.filter(code=code).delete()
