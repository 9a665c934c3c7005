"""Administrative boundaries, agencies (OPD) and the rules that route complaints to them.

Indonesian cities are divided into kecamatan (districts), which are divided into kelurahan
(urban villages). Each has an official Kemendagri code such as 36.71.07 (kecamatan Karawaci)
or 36.71.07.1001. A complaint is assigned to the kecamatan and kelurahan that cover its point,
and to the agency (OPD, Organisasi Perangkat Daerah) chosen by the routing rules.
"""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Everything is stored in WGS 84 longitude/latitude; metric work is done in geography or in
# the city's UTM zone (see boundaries.geo).
STORAGE_SRID = 4326


class AreaLevel(models.TextChoices):
    """The levels of the one boundaries tree: provinsi → kab/kota → kecamatan → desa/kelurahan.

    The values are stored; "kota" is the kab/kota level (a kabupaten too: `AdminArea.jenis`
    tells them apart) and "kelurahan" holds desa as well."""

    PROVINSI = "provinsi", "Provinsi"
    KOTA = "kota", "Kabupaten/Kota"
    KECAMATAN = "kecamatan", "Kecamatan"
    KELURAHAN = "kelurahan", "Desa/Kelurahan"


class AreaKind(models.TextChoices):
    """What an area is within its level (`AdminArea.jenis`), as Kemendagri names it."""

    PROVINSI = "provinsi", "Provinsi"
    KABUPATEN = "kabupaten", "Kabupaten"
    KOTA = "kota", "Kota"
    KECAMATAN = "kecamatan", "Kecamatan"
    DESA = "desa", "Desa"
    KELURAHAN = "kelurahan", "Kelurahan"


class BoundaryGeneration(models.Model):
    """One version of the city's boundaries.

    Boundaries get redrawn (pemekaran, corrections from the BIG/Kemendagri). Each import makes
    a new generation and complaints remember the generation they were routed with, so that a
    redrawn border never silently moves an old complaint to another kelurahan. Only the newest
    active generation is used for new complaints.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"Generation {self.pk}: {self.description}"

    @classmethod
    def current(cls):
        return cls.objects.filter(active=True).order_by("-id").first()


class AdminArea(models.Model):
    """A kota, kecamatan or kelurahan polygon of one boundary generation."""

    generation = models.ForeignKey(BoundaryGeneration, on_delete=models.PROTECT, related_name="areas")
    level = models.CharField(max_length=10, choices=AreaLevel.choices)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    # kabupaten or kota, desa or kelurahan (empty where the source does not say).
    jenis = models.CharField(max_length=10, choices=AreaKind.choices, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)
    population = models.PositiveIntegerField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "level", "code"], name="uniq_area_code_per_generation"),
        ]
        indexes = [
            models.Index(fields=["level", "code"]),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="boundaries_area_name_trgm"),
        ]

    def __str__(self):
        return f"{self.get_level_display()} {self.name} ({self.code})"


class AreaPiece(models.Model):
    """A small piece of an area (ST_Subdivide), for fast indexed point-in-polygon lookups.

    Level and generation are copied from the area so the lookup needs no join to filter.
    """

    area = models.ForeignKey(AdminArea, on_delete=models.CASCADE, related_name="pieces")
    generation = models.ForeignKey(BoundaryGeneration, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=AreaLevel.choices)
    geom = models.PolygonField(srid=STORAGE_SRID, spatial_index=True)

    class Meta:
        indexes = [models.Index(fields=["generation", "level"])]


class Government(models.Model):
    """A kabupaten or kota government (pemda) served by this deployment.

    Its area is the kab/kota `AdminArea` whose code is `code` (Kemendagri, e.g. 36.71), in
    whatever generation is current. Agencies, routing rules, crews (through their agency),
    staff, complaints and their figures belong to one government."""

    code = models.CharField(max_length=32, unique=True, help_text="Kemendagri code of the kab/kota, e.g. 36.71.")
    name = models.CharField(max_length=120, help_text="e.g. Kota Tangerang")
    jenis = models.CharField(max_length=10, choices=[(AreaKind.KOTA, "Kota"), (AreaKind.KABUPATEN, "Kabupaten")])
    province_code = models.CharField(max_length=4, blank=True, help_text="e.g. 36 (Banten)")
    province_name = models.CharField(max_length=120, blank=True)
    # The site of this government: host names it answers on (laksa.tangerangkota.go.id) and
    # how its pages present it.
    hosts = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    display_name = models.CharField(max_length=120, blank=True, help_text="Empty: LAKSA <name>.")
    color_primary = models.CharField(max_length=7, default="#b3261e")
    color_accent = models.CharField(max_length=7, default="#f2b705")
    time_zone = models.CharField(max_length=40, default="Asia/Jakarta")
    # The SLA of a category this government enabled without its own (hours).
    default_sla_hours = models.PositiveIntegerField(default=72)
    # Its own SP4N-LAPOR! account (empty: the deployment's settings).
    lapor_base_url = models.URLField(blank=True)
    lapor_token = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def site_name(self) -> str:
        return self.display_name or f"LAKSA {self.name}"


class NationalArea(models.Model):
    """The national layer: every province and kab/kota of Indonesia (coarse polygons).

    Answers "who is responsible" for a pin where no government of this deployment is set up;
    loaded by `manage.py load_national_areas`, independent of boundary generations."""

    level = models.CharField(max_length=10, choices=[(AreaLevel.PROVINSI, "Provinsi"), (AreaLevel.KOTA, "Kabupaten/Kota")])
    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    jenis = models.CharField(max_length=10, choices=AreaKind.choices, blank=True)
    parent_code = models.CharField(max_length=8, blank=True)
    geom = models.MultiPolygonField(srid=STORAGE_SRID, spatial_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class AgencyKind(models.TextChoices):
    OPD = "opd", "OPD (dinas/badan)"
    KECAMATAN = "kecamatan", "Kantor kecamatan"
    COMMAND_CENTER = "command_center", "Command center"


class Agency(models.Model):
    """A city agency (OPD) that handles complaints, or a kecamatan office."""

    government = models.ForeignKey(Government, on_delete=models.PROTECT, related_name="agencies")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices, default=AgencyKind.OPD)
    # For a kecamatan office: the Kemendagri code of its kecamatan (stable across generations).
    area_code = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    # A representative location for the admin map (the office), optional.
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["government", "code"], name="uniq_agency_code_per_government"),
            # At most one command center per government: it receives what no rule routes.
            models.UniqueConstraint(
                fields=["government", "kind"], condition=Q(kind="command_center"), name="single_command_center"
            ),
        ]

    def __str__(self):
        return self.short_name or self.name

    @classmethod
    def command_center(cls, government=None):
        qs = cls.objects.filter(kind=AgencyKind.COMMAND_CENTER)
        if government is not None:
            qs = qs.filter(government=government)
        return qs.order_by("government_id").first()


class RoutingRule(models.Model):
    """Sends complaints of a category (or any category) in an area (or anywhere) to an agency.

    Areas are named by code, not by row, so that rules survive a new boundary generation.
    The matching rule with the highest priority wins; more specific rules should carry a
    higher priority. Without a matching rule the category's default agency is used, and
    without one of those, the command center.
    """

    government = models.ForeignKey(Government, on_delete=models.CASCADE, related_name="routing_rules")
    category_slug = models.SlugField(max_length=60, blank=True, help_text="Empty: every category.")
    area_code = models.CharField(max_length=32, blank=True, help_text="Empty: the whole area of the government.")
    priority = models.IntegerField(default=0)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="routing_rules")
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-priority", "id"]

    def __str__(self):
        return f"{self.category_slug or '*'} @ {self.area_code or '*'} → {self.agency} (p{self.priority})"


class PlaceKind(models.TextChoices):
    OFFICE = "office", _("Government office")
    MARKET = "market", _("Market")
    SCHOOL = "school", _("School")
    HEALTH = "health", _("Health centre")
    TRANSPORT = "transport", _("Transport")
    WORSHIP = "worship", _("Place of worship")
    LANDMARK = "landmark", _("Landmark")


class Place(models.Model):
    """A named public place of the city (a gazetteer entry), for finding a spot on the map by name.

    Loaded from the city's fixture (`places` in city.json) by `places_load`; not tied to a
    boundary generation. Searched together with the kecamatan and kelurahan names, fuzzily
    (pg_trgm, see `boundaries.selectors.places_search`)."""

    key = models.SlugField(max_length=80, unique=True, help_text="Stable identifier in the fixture.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PlaceKind.choices)
    point = models.PointField(srid=STORAGE_SRID)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="boundaries_place_name_trgm")]

    def __str__(self):
        return self.name
