"""Loading a city's reference data: boundaries, agencies, categories, routing rules, and (in
the local demo mode only) demo accounts and crews. `load_city_fixtures` and `setup_city` call
these; the CSV formats are documented in docs/NEW_CITY.md."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from boundaries.models import AdminArea, Agency, AgencyKind, AreaLevel, BoundaryGeneration, Government, RoutingRule
from boundaries.services import LayerSpec, PlacesLoadError, boundaries_import, places_load
from common.parsers import parse_bool
from fieldops import permissions
from fieldops.models import Category, Crew, CrewMember, GovernmentCategory, StaffProfile

DEMO_PASSWORD = "laksa-demo"
# The roles stored as Django groups (fieldops.permissions decides what each may do).
ROLES = permissions.GROUP_ROLES

ERR_DEMO_IN_PRODUCTION = gettext_lazy("Demo accounts are only loaded in the local demo mode (LAKSA_ENV=local).")


class SetupError(Exception):
    pass


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


def roles_ensure() -> None:
    for name in ROLES:
        Group.objects.get_or_create(name=name)


@transaction.atomic
def government_ensure(*, code: str, name: str, jenis: str = "", province_code: str = "", province_name: str = "",
                      **site) -> Government:
    """The government (pemda) with this Kemendagri code, created or updated; `site` holds the
    optional presentation fields (hosts, display_name, colours, time_zone, default_sla_hours)."""
    jenis = jenis or ("kabupaten" if name.lower().startswith("kab") else "kota")
    defaults = {"name": name, "jenis": jenis, "province_code": province_code or (code.split(".")[0] if code[:2].isdigit() else ""),
                "province_name": province_name, **{k: v for k, v in site.items() if v not in (None, "")}}
    government, _ = Government.objects.update_or_create(code=code, defaults=defaults)
    return government


def government_of_city(spec: dict) -> Government:
    """The government a city folder describes (city.json `government`), else the kab/kota area
    of the current boundaries."""
    info = dict(spec.get("government") or {})
    if not info.get("code"):
        kota = AdminArea.objects.filter(generation=BoundaryGeneration.current(), level=AreaLevel.KOTA).order_by("code").first()
        if kota is None:
            raise SetupError("city.json has no government code and no kab/kota boundary is loaded")
        info.setdefault("code", kota.code)
        info.setdefault("name", kota.name)
    info.setdefault("name", spec["name"])
    return government_ensure(**info)


def agencies_load(path: Path, government: Government) -> int:
    """Create or update the government's agencies from a CSV with code,name,short_name,kind,area_code,email,phone,address."""
    count = 0
    for i, row in enumerate(_rows(path), start=2):
        if not row.get("code") or not row.get("name"):
            raise SetupError(f"{path}:{i}: code and name are required")
        kind = row.get("kind") or AgencyKind.OPD
        if kind not in AgencyKind.values:
            raise SetupError(f"{path}:{i}: kind {kind!r} is not one of {', '.join(AgencyKind.values)}")
        Agency.objects.update_or_create(
            government=government,
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row.get("short_name") or row["name"][:60],
                "kind": kind,
                "area_code": row.get("area_code", ""),
                "email": row.get("email", ""),
                "phone": row.get("phone", ""),
                "address": row.get("address", ""),
            },
        )
        count += 1
    return count


@transaction.atomic
def categories_load(path: Path, government: Government) -> int:
    """Create or update catalogue categories from a CSV with slug,name_id,name_en,default_agency,sla_hours,is_private,
    and enable each for the government with that agency and SLA."""
    count = 0
    for order, row in enumerate(_rows(path), start=1):
        if not row.get("slug") or not row.get("name_id"):
            raise SetupError(f"{path}:{order + 1}: slug and name_id are required")
        agency = None
        if row.get("default_agency"):
            agency = Agency.objects.filter(government=government, code=row["default_agency"]).first()
            if agency is None:
                raise SetupError(f"{path}:{order + 1}: unknown agency {row['default_agency']!r}")
        try:
            sla = int(row.get("sla_hours") or 72)
        except ValueError:
            raise SetupError(f"{path}:{order + 1}: sla_hours must be a whole number of hours") from None
        try:
            is_private = parse_bool(row["is_private"]) if row.get("is_private") else False
        except ValidationError as exc:
            raise SetupError(f"{path}:{order + 1}: is_private: {exc.messages[0]}") from None
        category, _ = Category.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name_id": row["name_id"],
                "name_en": row.get("name_en") or row["name_id"],
                "description": row.get("description", ""),
                "default_agency": agency,
                "sla_hours": sla,
                "is_private": is_private,
                "order": order,
            },
        )
        GovernmentCategory.objects.update_or_create(
            government=government, category=category, defaults={"agency": agency, "sla_hours": sla, "active": True}
        )
        count += 1
    return count


@transaction.atomic
def routing_load(path: Path, government: Government) -> int:
    """Create routing rules from a CSV with category_slug,area_code,agency,priority,note (upsert)."""
    count = 0
    for i, row in enumerate(_rows(path), start=2):
        agency = Agency.objects.filter(government=government, code=row.get("agency", "")).first()
        if agency is None:
            raise SetupError(f"{path}:{i}: unknown agency {row.get('agency')!r}")
        try:
            priority = int(row.get("priority") or 0)
        except ValueError:
            raise SetupError(f"{path}:{i}: priority must be a whole number") from None
        RoutingRule.objects.update_or_create(
            government=government,
            category_slug=row.get("category_slug", ""),
            area_code=row.get("area_code", ""),
            agency=agency,
            defaults={"priority": priority, "note": row.get("note", "")},
        )
        count += 1
    return count


@transaction.atomic
def generic_reference_data(government: Government) -> None:
    """A start for a government without its own CSVs: one command center and generic categories."""
    cc = Agency.command_center(government)
    if cc is None:
        cc = Agency.objects.create(
            government=government, code="command-center", name=f"Command Center {government.name}",
            short_name="Command Center", kind=AgencyKind.COMMAND_CENTER,
        )
    generic = [
        ("roads", "Jalan rusak", "Damaged roads", 72), ("drainage", "Drainase dan banjir", "Drainage and flooding", 48),
        ("garbage", "Sampah", "Garbage", 24), ("street-lights", "Penerangan jalan umum", "Street lights", 72),
        ("public-order", "Ketertiban umum", "Public order", 48), ("public-service", "Pelayanan publik", "Public service", 72),
        ("other", "Lainnya", "Other", 72),
    ]
    for order, (slug, name_id, name_en, sla) in enumerate(generic, start=1):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name_id": name_id, "name_en": name_en, "sla_hours": sla, "default_agency": cc, "order": order}
        )
        GovernmentCategory.objects.get_or_create(
            government=government, category=category, defaults={"agency": cc, "sla_hours": sla}
        )


def demo_accounts_load(path: Path, government: Government) -> list[tuple[str, str, str]]:
    """Demo users with the password `laksa-demo`, their roles, agencies and crews. Local mode only."""
    if not settings.DEMO_MODE:
        raise SetupError(ERR_DEMO_IN_PRODUCTION)
    with transaction.atomic():
        return _demo_accounts_create(path, government)


def _demo_accounts_create(path: Path, government: Government) -> list[tuple[str, str, str]]:
    roles_ensure()
    User = get_user_model()
    made = []
    for row in _rows(path):
        user, created = User.objects.get_or_create(
            username=row["username"], defaults={"first_name": row.get("first_name", ""), "last_name": row.get("last_name", "")}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        role = row["role"]
        user.is_staff = role in permissions.ADMIN_SITE_ROLES
        user.is_superuser = role == permissions.ADMIN
        user.save()
        if role != permissions.ADMIN:
            user.groups.add(Group.objects.get(name=role))
        agency = Agency.objects.filter(government=government, code=row["agency"]).first() if row.get("agency") else None
        # The superuser works for no one government: it sees them all.
        StaffProfile.objects.update_or_create(
            user=user, defaults={"agency": agency, "government": None if role in (permissions.ADMIN, permissions.PROVINCE) else government}
        )
        if row.get("crew") and agency:
            crew, _ = Crew.objects.get_or_create(name=row["crew"], agency=agency)
            CrewMember.objects.get_or_create(crew=crew, user=user)
        made.append((user.username, role, agency.short_name if agency else "-"))
    return made


@dataclass
class CityLoad:
    imported_boundaries: bool
    agencies: int
    categories: int
    routing: int
    demo_accounts: list
    places: int = 0


def city_load_from_dir(directory: Path, *, demo: bool = False, progress=None) -> CityLoad:
    """Load a city folder described by its city.json; boundaries only when none are loaded yet."""
    directory = Path(directory)
    spec = json.loads((directory / "city.json").read_text(encoding="utf-8"))
    roles_ensure()
    imported = False
    if BoundaryGeneration.current() is None:
        layers = [
            LayerSpec(
                path=directory / layer["file"],
                level=layer["level"],
                name_field=layer["name_field"],
                code_field=layer.get("code_field"),
                parent_code_field=layer.get("parent_code_field"),
                source_srs=layer.get("source_srs"),
                population_field=layer.get("population_field"),
            )
            for layer in spec["layers"]
        ]
        boundaries_import(layers=layers, description=f"{spec['name']} (fixtures)", commit=True, progress=progress)
        imported = True
    government = government_of_city(spec)
    agencies = agencies_load(directory / spec["agencies"], government) if spec.get("agencies") else 0
    categories = categories_load(directory / spec["categories"], government) if spec.get("categories") else 0
    routing = routing_load(directory / spec["routing"], government) if spec.get("routing") else 0
    try:
        places = places_load(directory / spec["places"]) if spec.get("places") else 0
    except PlacesLoadError as exc:
        raise SetupError(str(exc)) from None
    if not spec.get("categories"):
        generic_reference_data(government)
    demo_made = []
    if demo and spec.get("demo_accounts"):
        demo_made = demo_accounts_load(directory / spec["demo_accounts"], government)
    return CityLoad(imported, agencies, categories, routing, demo_made, places)


# ---------------------------------------------------------------- a government's default template

# The template a new government of a province starts from: the Tangerang OPD set (renamed for
# it), its kecamatan offices, the catalogue's categories and generic routing rules. An admin
# then edits them (docs/NEW_REGION.md).
TEMPLATE_DIR = Path(settings.BASE_DIR) / "fixtures" / "tangerang"


@dataclass
class TemplateCounts:
    agencies: int = 0
    kecamatan_offices: int = 0
    categories: int = 0
    routing: int = 0


def _kecamatan_office_code(name: str, area_code: str, taken: set[str]) -> str:
    base = "kec-" + ("".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-") or area_code)
    base = "-".join(part for part in base.split("-") if part)[:40]
    code = base if base not in taken else f"{base[:32]}-{area_code.replace('.', '')[-6:]}"
    taken.add(code)
    return code


@transaction.atomic
def government_template_apply(government: Government, *, generation_id: int,
                              template_dir: Path = TEMPLATE_DIR) -> TemplateCounts:
    """Give a new government the default template (idempotent: upserts by code).

    - the OPD set of `template_dir/agencies.csv` with its own names (no other city's contact
      data or room names), the command center among them;
    - one kecamatan office per kecamatan of the government in generation `generation_id`;
    - every active catalogue category enabled, sent to the agency with the code of the
      category's default OPD in the template (else the command center), with the category's SLA;
      an empty catalogue is first filled from `template_dir/categories.csv`;
    - the rules of `template_dir/routing.csv` made generic: a rule that sends a category to a
      kecamatan office becomes one rule per kecamatan of this government to its own office; a
      rule to an OPD for the whole area is kept as it is."""
    counts = TemplateCounts()
    rows = _rows(template_dir / "agencies.csv")
    office_codes = {r["code"] for r in rows if r.get("kind") == AgencyKind.KECAMATAN}
    own_center = Agency.command_center(government)
    for row in rows:
        if row.get("kind") == AgencyKind.KECAMATAN:
            continue
        kind = row.get("kind") or AgencyKind.OPD
        # "Dinas Komunikasi dan Informatika (Tangerang LIVE Room)": the part before a bracket is the OPD.
        name = row["name"].split(" (")[0].strip()
        if kind == AgencyKind.COMMAND_CENTER and own_center is not None and own_center.code != row["code"]:
            continue  # the government has its own command center already (one per government)
        Agency.objects.update_or_create(government=government, code=row["code"], defaults={
            "name": name, "short_name": row.get("short_name") or name[:60], "kind": kind})
        counts.agencies += 1
    kecamatan = list(AdminArea.objects.filter(generation_id=generation_id, level=AreaLevel.KECAMATAN,
                                              code__startswith=government.code + ".").order_by("code"))
    taken = set(Agency.objects.filter(government=government).exclude(kind=AgencyKind.KECAMATAN)
                .values_list("code", flat=True))
    offices: dict[str, Agency] = {}
    for area in kecamatan:
        office = Agency.objects.filter(government=government, kind=AgencyKind.KECAMATAN, area_code=area.code).first()
        if office is None:
            office = Agency.objects.create(
                government=government, code=_kecamatan_office_code(area.name, area.code, taken),
                name=f"Kecamatan {area.name}", short_name=f"Kec. {area.name}"[:60], kind=AgencyKind.KECAMATAN,
                area_code=area.code)
        taken.add(office.code)
        offices[area.code] = office
        counts.kecamatan_offices += 1
    if not Category.objects.exists() and (template_dir / "categories.csv").exists():
        categories_load(template_dir / "categories.csv", government)
    by_code = {a.code: a for a in Agency.objects.filter(government=government)}
    command_center = Agency.command_center(government)
    for category in Category.objects.filter(active=True).select_related("default_agency"):
        template_code = category.default_agency.code if category.default_agency else ""
        GovernmentCategory.objects.get_or_create(government=government, category=category, defaults={
            "agency": by_code.get(template_code, command_center), "sla_hours": category.sla_hours})
        counts.categories += 1
    generic = {}
    for i, row in enumerate(_rows(template_dir / "routing.csv"), start=2):
        try:
            priority = int(row.get("priority") or 0)
        except ValueError:
            raise SetupError(f"{template_dir / 'routing.csv'}:{i}: priority must be a whole number") from None
        key = (row.get("category_slug", ""), priority, row.get("note", ""))
        if row.get("agency") in office_codes:
            generic[key] = None  # one rule per kecamatan, to its own office
        elif not row.get("area_code") and row.get("agency") in by_code:
            RoutingRule.objects.update_or_create(
                government=government, category_slug=key[0], area_code="", agency=by_code[row["agency"]],
                defaults={"priority": priority, "note": key[2]})
            counts.routing += 1
    for (slug, priority, note) in generic:
        for area_code, office in offices.items():
            RoutingRule.objects.update_or_create(
                government=government, category_slug=slug, area_code=area_code, agency=office,
                defaults={"priority": priority, "note": note})
            counts.routing += 1
    return counts
