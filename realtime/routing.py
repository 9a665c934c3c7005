"""WebSocket routes. The consumers arrive with the realtime issue."""

websocket_urlpatterns: list = []
