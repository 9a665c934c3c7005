"""Channel-layer group names, built in one place. Dot-separated: channels forbids colons."""


def crew_group(crew_id: int) -> str:
    return f"crew.{crew_id}"


def ops_all_group() -> str:
    return "ops.all"


def ops_agency_group(agency_id: int) -> str:
    return f"ops.agency.{agency_id}"


def complaint_group(tracking_code: str) -> str:
    return f"complaint.{tracking_code}"
