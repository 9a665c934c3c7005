"""Make the public files of every photo and video still `processing` (fieldops.proof.media_process).

The job engine does this after each upload (fieldops.tasks.media_process); this command is a
re-run by hand, e.g. after fixing ffmpeg on a machine whose jobs failed. Idempotent."""

from django.core.management.base import BaseCommand

from fieldops.models import MediaState, Photo
from fieldops.proof import media_process


class Command(BaseCommand):
    help = "Process photos and videos left in the 'processing' state (idempotent)."

    def handle(self, *args, **opts):
        ids = list(Photo.objects.filter(state=MediaState.PROCESSING).order_by("id").values_list("id", flat=True))
        states = [getattr(media_process(pk), "state", None) for pk in ids]
        self.stdout.write(f"processed {states.count(MediaState.READY)} photo(s)/video(s), "
                          f"{states.count(MediaState.FAILED)} failed")
