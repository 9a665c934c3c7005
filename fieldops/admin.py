"""The Django admin of fieldops, and the government scope of every admin page that lists a
government's rows: a staff account of one government sees and picks only its government's
complaints, events, crews, staff, agencies and routing rules (fieldops.permissions.government_scope);
the superuser (and the province role) every government's. boundaries' Agency and RoutingRule pages
are re-registered here with the scope: boundaries sits below fieldops and cannot ask who a user is."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis.admin import GISModelAdmin

from boundaries.admin import AgencyAdmin, RoutingRuleAdmin
from boundaries.models import Agency, Government, RoutingRule
from fieldops import permissions
from fieldops.models import Category, Complaint, ComplaintEvent, Crew, CrewMember, Photo, StaffProfile

# How each model that a form may point to reaches its government.
CHOICE_SCOPES = {
    Government: "pk",
    Agency: "government",
    Crew: "agency__government",
    Complaint: "government",
}


class GovernmentScopedAdmin:
    """An admin page whose rows (and foreign-key choices) are those of the user's governments."""

    government_field = "government"

    def get_queryset(self, request):
        return permissions.government_scope(super().get_queryset(request), request.user, self.government_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = CHOICE_SCOPES.get(db_field.related_model)
        if field is not None:
            kwargs["queryset"] = permissions.government_scope(
                db_field.related_model._default_manager.all(), request.user, field)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_id", "name_en", "default_agency", "sla_hours", "is_private", "active"]
    list_editable = ["sla_hours", "active"]


class CrewMemberInline(admin.TabularInline):
    model = CrewMember
    extra = 1


@admin.register(Crew)
class CrewAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    government_field = "agency__government"
    list_display = ["name", "agency", "active"]
    inlines = [CrewMemberInline]


@admin.register(StaffProfile)
class StaffProfileAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "government", "agency"]
    list_filter = ["government"]


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
class ComplaintAdmin(GovernmentScopedAdmin, GISModelAdmin):
    list_display = ["tracking_code", "category", "status", "government", "agency", "kecamatan", "kelurahan",
                    "created_at", "due_at"]
    list_filter = ["status", "government", "category", "agency", "channel"]
    search_fields = ["tracking_code", "description", "address"]
    raw_id_fields = ["kecamatan", "kelurahan", "duplicate_of", "crew"]
    readonly_fields = ["tracking_code", "generation", "reporter_token_hash", "created_at", "updated_at"]
    inlines = [PhotoInline, EventInline]


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    government_field = "complaint__government"
    list_display = ["id", "complaint", "type", "from_status", "to_status", "actor", "at"]
    list_filter = ["type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAgencyAdmin(GovernmentScopedAdmin, AgencyAdmin):
    list_display = ["code", "short_name", "name", "government", "kind", "area_code", "active"]
    list_filter = ["government", "kind", "active"]


class ScopedRoutingRuleAdmin(GovernmentScopedAdmin, RoutingRuleAdmin):
    list_display = ["category_slug", "area_code", "priority", "government", "agency", "active", "note"]


class ScopedUserAdmin(GovernmentScopedAdmin, UserAdmin):
    """Staff accounts of the user's governments (accounts without a government, such as the
    province's and the superuser's, only for those who see every government)."""

    government_field = "staff_profile__government"


for model, model_admin in ((Agency, ScopedAgencyAdmin), (RoutingRule, ScopedRoutingRuleAdmin),
                           (get_user_model(), ScopedUserAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
