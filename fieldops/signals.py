"""What the domain core announces; the faces and reactions above it listen.

fieldops imports none of the apps that react to its events (realtime, integrations): they
connect their receivers in their `AppConfig.ready()` and schedule their own after-commit work.
"""

from django.dispatch import Signal

# Sent by `fieldops.events.event_record` inside the transaction that wrote the event, with
# `event` (the saved ComplaintEvent) and `complaint` (the complaint as it is after the change).
# A receiver that talks to the outside world must wait for `transaction.on_commit`.
complaint_event_recorded = Signal()

# Sent by `fieldops.services.lapor_handoff_request` inside the intake's transaction, for a
# report at a pin that no government of this deployment serves, which the citizen asked to
# forward to SP4N-LAPOR! instead: `key` (a uuid, the handoff's idempotency key) and `payload`
# (the LAPOR! report: category, text, point, the responsible kab/kota and province; no reporter
# contact). There is no complaint here (no government owns it). The receiver (integrations)
# defers the delivery job; with no receiver connected the service refuses the handoff.
lapor_handoff_requested = Signal()
