from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from boundaries.models import AdminArea, Agency, BoundaryGeneration, RoutingRule


@admin.register(BoundaryGeneration)
class BoundaryGenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "description", "active", "created_at"]
    list_filter = ["active"]


@admin.register(AdminArea)
class AdminAreaAdmin(GISModelAdmin):
    list_display = ["code", "name", "level", "parent", "generation", "area_km2", "population"]
    list_filter = ["level", "generation"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Agency)
class AgencyAdmin(GISModelAdmin):
    list_display = ["code", "short_name", "name", "kind", "area_code", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "short_name"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category_slug", "area_code", "priority", "agency", "active", "note"]
    list_filter = ["active", "agency"]
    search_fields = ["category_slug", "area_code", "note"]
