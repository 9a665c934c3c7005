"""Make the public copy of every video still `processing` (fieldops.proof.video_process).

Uploads process their video in the request today; a request killed before it finished (a worker
timeout, a restart) leaves the video `processing`. This command finishes them; it is idempotent
and safe to run from cron until video processing runs on the job engine."""

from django.core.management.base import BaseCommand

from fieldops.models import MediaState, MediaType, Photo
from fieldops.proof import video_process


class Command(BaseCommand):
    help = "Process videos left in the 'processing' state (idempotent)."

    def handle(self, *args, **opts):
        ids = list(Photo.objects.filter(media_type=MediaType.VIDEO, state=MediaState.PROCESSING)
                   .order_by("id").values_list("id", flat=True))
        states = [video_process(pk).state for pk in ids]
        self.stdout.write(f"processed {states.count(MediaState.READY)} video(s), {states.count(MediaState.FAILED)} failed")
