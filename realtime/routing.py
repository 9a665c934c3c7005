"""WebSocket routes (the protocol is documented at the top of realtime/consumers.py)."""

from django.urls import path, re_path

from realtime import consumers

websocket_urlpatterns = [
    path("ws/crew/", consumers.CrewConsumer.as_asgi()),
    path("ws/ops/", consumers.OpsConsumer.as_asgi()),
    path("ws/complaints/<str:tracking_code>/", consumers.ComplaintConsumer.as_asgi()),
    # Anything else (e.g. /ws/complaints/a/b/): closed 4404 rather than an error in the router.
    re_path(r"", consumers.NotFoundConsumer.as_asgi()),
]
