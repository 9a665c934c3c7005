"""Import reports exported from SP4N-LAPOR! (JSON); already imported ids are skipped."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations.importer import lapor_import


class Command(BaseCommand):
    help = 'Import SP4N-LAPOR! reports from a JSON file (a list, or {"reports": [...]}).'

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        try:
            data = json.loads(Path(opts["file"]).read_text(encoding="utf-8"))
            result = lapor_import(data=data)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(result.created)} created, {len(result.skipped)} already imported, "
                          f"{len(result.errors)} errors")
        for err in result.errors:
            self.stderr.write(err)
