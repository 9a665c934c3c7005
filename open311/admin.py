from django.contrib import admin, messages

from fieldops.admin import GovernmentScopedAdmin
from open311.models import ApiClient, Open311Request
from open311.services import api_key_new, hash_key


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Issuing a key: add a client; the key is shown once, only its hash is kept."""

    list_display = ["name", "government", "key_prefix", "contact_email", "active", "created_at", "last_used_at"]
    list_filter = ["government", "active"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    actions = ["rotate_key"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = api_key_new()
            obj.key_hash, obj.key_prefix = hash_key(key), key[:8]
            super().save_model(request, obj, form, change)
            messages.warning(request, f"The api_key for {obj.name} is: {key} — copy it now, it is not shown again.")
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Issue a new api_key (the old one stops working)")
    def rotate_key(self, request, queryset):
        for client in queryset:
            key = api_key_new()
            client.key_hash, client.key_prefix = hash_key(key), key[:8]
            client.save(update_fields=["key_hash", "key_prefix"])
            messages.warning(request, f"New api_key for {client.name}: {key}")


@admin.register(Open311Request)
class Open311RequestAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    government_field = "complaint__government"
    list_display = ["complaint", "client", "account_id", "created_at"]
    raw_id_fields = ["complaint"]
