"""What the domain core announces; the faces and reactions above it listen.

fieldops imports none of the apps that react to its events (realtime, integrations): they
connect their receivers in their `AppConfig.ready()` and schedule their own after-commit work.
"""

from django.dispatch import Signal

# Sent by `fieldops.events.event_record` inside the transaction that wrote the event, with
# `event` (the saved ComplaintEvent) and `complaint` (the complaint as it is after the change).
# A receiver that talks to the outside world must wait for `transaction.on_commit`.
complaint_event_recorded = Signal()
