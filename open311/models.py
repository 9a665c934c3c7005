"""Open311 GeoReport v2: the client applications that may post requests, and what an Open311
client sent beside the complaint itself (its account id, device id, media URL, attributes)."""

from django.db import models

from boundaries.models import Government
from fieldops.models import Complaint


class ApiClient(models.Model):
    """A client application with an Open311 api_key. Only the SHA-256 of the key is stored."""

    name = models.CharField(max_length=120)
    # The government whose jurisdiction the key may post to (its own Open311 credentials); empty:
    # every government of the deployment.
    government = models.ForeignKey(Government, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="open311_clients")
    contact_email = models.EmailField(blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, to recognise it in the admin without storing it.
    key_prefix = models.CharField(max_length=8, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "Open311 API client"

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"


class Open311Request(models.Model):
    """The Open311 side of a complaint created through /open311/v2/requests."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(ApiClient, null=True, on_delete=models.SET_NULL, related_name="requests")
    account_id = models.CharField(max_length=100, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # For GET tokens/{token}: resolves to the service_request_id.
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
