"""Operator endpoints: enter a report received by phone/WhatsApp/social media, forward a
complaint to SP4N-LAPOR!, import a LAPOR! export. Session or token auth, operator role."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import interpolate
from fieldops import permissions
from fieldops.errors import FieldError
from fieldops.apis import ComplaintCreateInput
from fieldops.idempotency import respond_once
from fieldops.models import Channel, Complaint
from fieldops.representation import ComplaintCreatedSerializer, complaint_created
from fieldops.selectors import display_code, tracking_code_clean
from fieldops.services import complaint_create
from fieldops.text import ControlCharGuardMixin
from integrations.importer import LaporReportIn, lapor_reports_import
from integrations.models import PushSubscription
from integrations.services import push_subscription_save
from integrations.services import lapor_forward

OPS_CHANNELS = [Channel.PHONE, Channel.WHATSAPP, Channel.SOCIAL]
ERR_OPERATOR_ONLY = gettext_lazy("Only operators (the command center) may do this.")
ERR_CHANNEL = gettext_lazy("channel must be one of: phone, whatsapp, social.")
ERR_OTHER_GOVERNMENT = gettext_lazy(
    "The location is in %(found)s, not in %(government)s: this desk enters reports for %(government)s only.")


def require_operator(user) -> None:
    """Only the operator desk (fieldops.permissions.may_enter_reports): 401 anonymous, else 403."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not permissions.may_enter_reports(user):
        raise PermissionDenied(ERR_OPERATOR_ONLY)


class OpsIntakeInput(ComplaintCreateInput):
    """A report an operator received: the public body, with the operator's channels."""

    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in OPS_CHANNELS],
                                      error_messages={"invalid_choice": ERR_CHANNEL})
    # An operator answers a caller from another kab/kota by phone; the LAPOR! handoff is the
    # citizen's own choice on the public form.
    lapor_handoff = None


class OpsIntakeApi(ControlCharGuardMixin, APIView):
    """POST /api/v1/ops/intake/: a report an operator received by phone, WhatsApp or social media."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=OpsIntakeInput, responses={201: ComplaintCreatedSerializer})
    def post(self, request):
        require_operator(request.user)
        if not hasattr(request.data, "get"):
            raise ValidationError({"body": ["The body must be a JSON object."]})
        body = OpsIntakeInput(data=request.data)
        body.is_valid(raise_exception=True)

        # A double-clicked form or a retried request with the same Idempotency-Key is one report.
        desk = permissions.user_government(request.user)  # None: the superuser enters anywhere

        def run():
            with transaction.atomic():
                created = complaint_create(**body.complaint_kwargs(actor=request.user))
                if desk is not None and created.complaint.government_id != desk.pk:
                    # Rolled back, with the socket and LAPOR! reactions that wait for the commit.
                    raise FieldError("location", interpolate(ERR_OTHER_GOVERNMENT, government=desk.name,
                                                             found=created.complaint.government.name))
            return 201, complaint_created(created)

        return respond_once(request, scope=f"ops_intake:{request.user.pk}", run=run)


class ForwardLaporApi(ControlCharGuardMixin, APIView):
    """POST /api/v1/complaints/{code}/forward-lapor/: queue a complaint for SP4N-LAPOR!."""

    @extend_schema(request=None, responses={202: inline_serializer("LaporForwarded", {
        "tracking_code": serializers.CharField(), "outbox_id": serializers.IntegerField(),
        "state": serializers.CharField()})})
    def post(self, request, tracking_code: str):
        require_operator(request.user)
        code = tracking_code_clean(tracking_code)
        c = Complaint.objects.filter(tracking_code=code).first() if code else None
        # Another government's complaint does not exist for this operator.
        if c is None or not permissions.may_see(request.user, c):
            raise NotFound(f"No complaint with tracking code {display_code(tracking_code)!r}.")
        message = lapor_forward(complaint=c, actor=request.user)
        return Response({"tracking_code": c.tracking_code, "outbox_id": message.pk, "state": message.state},
                        status=status.HTTP_202_ACCEPTED)


class LaporImportIn(serializers.Serializer):
    """A batch of LAPOR! reports, each checked against the documented format (docs/LAPOR.md)."""

    reports = LaporReportIn(many=True, help_text="The reports of a LAPOR! export")


class LaporImportApi(APIView):
    """POST /api/v1/integrations/lapor/import/: a JSON export from SP4N-LAPOR!."""

    parser_classes = [JSONParser]

    @extend_schema(request=LaporImportIn, responses={200: inline_serializer("LaporImported", {
        "created": serializers.ListField(child=serializers.CharField(), help_text="New tracking codes"),
        "skipped": serializers.ListField(child=serializers.CharField(), help_text="LAPOR! ids already imported"),
        "errors": serializers.ListField(child=serializers.CharField())})})
    def post(self, request):
        require_operator(request.user)
        batch = LaporImportIn(data=request.data)
        batch.is_valid(raise_exception=True)
        result = lapor_reports_import(reports=batch.validated_data["reports"])
        return Response({"created": result.created, "skipped": result.skipped, "errors": result.errors})


# ---------------------------------------------------------------- Web Push subscriptions (Tim Sigap)

ERR_CREW_ONLY = gettext_lazy("Only members of a Tim Sigap crew receive pushes.")
ERR_PUSH_OFF = gettext_lazy("Web Push is not configured on this server.")


class PushKeysIn(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=60)


class PushSubscriptionIn(ControlCharGuardMixin, serializers.Serializer):
    """What the browser's PushSubscription.toJSON() gives."""

    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeysIn()


class PushSubscriptionApi(APIView):
    """GET: the VAPID public key. POST: register this browser's subscription. DELETE: forget it."""

    def _crew_member(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if not permissions.user_crew_ids(request.user):
            raise PermissionDenied(ERR_CREW_ONLY)

    @extend_schema(responses={200: inline_serializer("PushKey", {"public_key": serializers.CharField()})})
    def get(self, request):
        """The key to subscribe with; empty when this server sends no pushes."""
        self._crew_member(request)
        return Response({"public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY})

    @extend_schema(request=PushSubscriptionIn,
                   responses={201: inline_serializer("PushSubscribed", {"id": serializers.IntegerField()})})
    def post(self, request):
        self._crew_member(request)
        if not settings.WEBPUSH_VAPID_PUBLIC_KEY:
            raise NotFound(ERR_PUSH_OFF)
        data = PushSubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        sub = push_subscription_save(user=request.user, endpoint=data.validated_data["endpoint"],
                                     p256dh=data.validated_data["keys"]["p256dh"],
                                     auth=data.validated_data["keys"]["auth"])
        return Response({"id": sub.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=PushSubscriptionIn, responses={204: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        endpoint = str(request.data.get("endpoint") or "")[:1000]
        PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
