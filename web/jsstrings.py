"""Strings the browser scripts show, translated on the server and handed to the page as JSON
(no inline scripts: the page embeds them with `json_script`)."""

from django.utils.translation import gettext as _

from fieldops.models import Channel, EventType, Status


def js_strings() -> dict[str, str]:
    strings = {
        "locating": _("Finding your location…"),
        "geo_unavailable": _("Your browser cannot share its location. Tap the map to place the pin."),
        "geo_denied": _("Location permission was refused. Tap the map to place the pin."),
        "accuracy": _("Accuracy about %(m)s m"),
        "checking": _("Checking the location…"),
        "outside": _("This point is outside the service area."),
        "outside_detail": _("The nearest kecamatan is %(kecamatan)s, %(distance)s m away."),
        "pin_first": _("Place the pin on the map first (tap the map or use your location)."),
        "similar": _("Similar reports nearby"),
        "no_similar": _("No similar open reports nearby."),
        "sending": _("Sending…"),
        "send_failed": _("Could not send. Check your connection and try again."),
        "fix_fields": _("Please fix the highlighted fields."),
        "required": _("This field is required."),
        "too_many": _("Too many reports from this device. Please wait a moment."),
        "live": _("Live"),
        "offline": _("Offline"),
        "reconnecting": _("Reconnecting…"),
        # The citizen's tracking page: plain words instead of "Live"/"Offline" (issue 15).
        "updates_on": _("Live updates on"),
        "updates_off": _("Live updates paused"),
        "waiting": _("Waiting to send"),
        "nothing_waiting": _("Nothing waiting to be sent."),
        "queued": _("Saved on this phone; it will be sent when the connection returns."),
        "sent": _("Sent."),
        "failed": _("Refused by the server"),
        "new_assignment": _("New assignment"),
        "directions": _("Directions"),
        "start": _("Start work"),
        "before_photo": _("Before photo"),
        "after_photo": _("After photo"),
        "resolve": _("Resolve"),
        "resolve_note": _("What was done? (optional)"),
        "no_tickets": _("No open tickets for your crew."),
        "due": _("Due"),
        "overdue": _("Overdue"),
        "verify": _("Verify"),
        "assign": _("Assign"),
        "reroute": _("Reroute"),
        "hold": _("Hold"),
        "duplicate": _("Duplicate"),
        "reject": _("Reject"),
        "reason": _("Reason"),
        "reason_required": _("A reason is required."),
        "original_code": _("Tracking code of the original report"),
        "choose_crew": _("Choose a crew"),
        "choose_agency": _("Choose an agency"),
        "done": _("Done."),
        "error": _("Error"),
        "no_results": _("No reports match these filters."),
        "n_reports": _("%(n)s reports"),
        "loading": _("Loading…"),
        "photo_taken": _("Photo saved"),
        "photo_location": _("Getting the position for the photo…"),
        "photo_no_location": _("No position from the browser; the photo's own GPS data will be used if present."),
        "open_ticket": _("Open"),
        "crew": _("Crew"),
        "report": _("Report"),
        "reopen_sent": _("Your report was reopened."),
        "queue_empty": _("The queue is empty."),
        "cancel": _("Cancel"),
        "confirm": _("Confirm"),
        "tracking": _("Tracking code"),
        "follow": _("Follow this report"),
    }
    strings["status"] = {s.value: str(s.label) for s in Status}
    strings["event"] = {e.value: str(e.label) for e in EventType}
    strings["channel"] = {c.value: str(c.label) for c in Channel}
    return strings
