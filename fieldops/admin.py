from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from fieldops.models import Category, Complaint, ComplaintEvent, Crew, CrewMember, Photo, StaffProfile


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_id", "name_en", "default_agency", "sla_hours", "is_private", "active"]
    list_editable = ["sla_hours", "active"]


class CrewMemberInline(admin.TabularInline):
    model = CrewMember
    extra = 1


@admin.register(Crew)
class CrewAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "active"]
    inlines = [CrewMemberInline]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "agency"]


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ["id", "at", "type", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ["kind", "public", "location_source", "distance_m", "taken_at"]
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(GISModelAdmin):
    list_display = ["tracking_code", "category", "status", "agency", "kecamatan", "kelurahan", "created_at", "due_at"]
    list_filter = ["status", "category", "agency", "channel"]
    search_fields = ["tracking_code", "description", "address"]
    raw_id_fields = ["kecamatan", "kelurahan", "duplicate_of", "crew"]
    readonly_fields = ["tracking_code", "generation", "reporter_token_hash", "created_at", "updated_at"]
    inlines = [PhotoInline, EventInline]


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(admin.ModelAdmin):
    list_display = ["id", "complaint", "type", "from_status", "to_status", "actor", "at"]
    list_filter = ["type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
