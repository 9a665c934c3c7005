"""System checks of the sites: every host name a government answers on is in ALLOWED_HOSTS
(Django refuses other hosts with a 400 before any view runs). Run with
`manage.py check --database default` (it reads the governments); `migrate` runs it too."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def government_hosts_allowed(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from boundaries.sites import allowed_host, governments_active

    try:
        governments = governments_active()
    except DatabaseError:  # before the first migrate
        return []
    missing = [(g.code, host) for g in governments for host in g.hosts if not allowed_host(host)]
    if not missing:
        return []
    return [Warning(
        "Host names of governments are not in ALLOWED_HOSTS: "
        + ", ".join(f"{host} ({code})" for code, host in missing),
        hint="Add them to the ALLOWED_HOSTS environment variable (docs/DEPLOY.md), or remove them from the "
             "government in the admin; until then those pages answer 400 (DisallowedHost).",
        id="boundaries.W001",
    )]
