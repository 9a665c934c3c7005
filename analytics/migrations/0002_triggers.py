"""Install the triggers that keep analytics facts in step with fieldops_complaint."""

from django.db import migrations

from analytics.sql import INSTALL, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("fieldops", "0001_initial"),
    ]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]
