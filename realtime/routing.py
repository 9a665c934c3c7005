"""WebSocket routes (the protocol is documented at the top of realtime/consumers.py)."""

from django.urls import path

from realtime import consumers

websocket_urlpatterns = [
    path("ws/crew/", consumers.CrewConsumer.as_asgi()),
    path("ws/ops/", consumers.OpsConsumer.as_asgi()),
    path("ws/complaints/<str:tracking_code>/", consumers.ComplaintConsumer.as_asgi()),
]
