"""Run a job worker (docs/OPERATIONS.md "Jobs"): `make run` starts one beside daphne."""

from __future__ import annotations

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand
from procrastinate import exceptions
from procrastinate.contrib.django import app

from common.tasks import jobs_stalled_retry

logger = logging.getLogger(__name__)
QUEUES = ("notifications", "lapor", "push", "media", "schedules")
RESTART_PAUSE_S = 1.0


class Command(BaseCommand):
    help = ("Take jobs from PostgreSQL and run them (any number of workers may run). Jobs left "
            "running by a worker that died are run again first. Stops cleanly on SIGINT/SIGTERM.")

    def add_arguments(self, parser):
        parser.add_argument("--queues", default="", help=f"Comma-separated, default all ({', '.join(QUEUES)})")
        parser.add_argument("--concurrency", type=int, default=4, help="Jobs run at once (default 4)")
        parser.add_argument("--until-empty", action="store_true", help="Exit when no job is waiting")
        parser.add_argument("--poll", type=float, default=5.0,
                            help="Seconds between polls when LISTEN/NOTIFY misses a job (default 5)")

    def handle(self, *args, queues, concurrency, until_empty, poll, **options):
        names = [q.strip() for q in queues.split(",") if q.strip()] or None
        # The worker's own connections: a psycopg 3 pool (procrastinate checks each before use).
        with app.replace_connector(app.connector.get_worker_connector()):
            asyncio.run(self._work(names, concurrency, until_empty, poll))

    async def _work(self, queues, concurrency, until_empty, poll):
        await app.open_async()
        # Our own signal handlers, so that a stop we were asked for is told apart from procrastinate
        # stopping its worker by itself when a side task (the LISTEN connection, the heartbeat)
        # lost the database: the first ends the command, the second starts the worker again.
        stopping = asyncio.Event()
        running: list[asyncio.Task] = []

        def stop():
            stopping.set()
            for task in running:
                task.cancel()  # procrastinate then lets the jobs in hand finish or abort cleanly

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            while not stopping.is_set():
                try:
                    await jobs_stalled_retry(app.job_manager)
                    running[:] = [asyncio.create_task(app.run_worker_async(
                        queues=queues, concurrency=concurrency, wait=not until_empty,
                        fetch_job_polling_interval=poll, install_signal_handlers=False,
                        update_heartbeat_interval=settings.JOBS_HEARTBEAT_S,
                        stalled_worker_timeout=settings.JOBS_STALLED_AFTER_S))]
                    await running[0]
                    if until_empty:
                        return  # --until-empty found nothing more
                    logger.warning("job worker stopped by itself (the database went away?); restarting in %s s",
                                   RESTART_PAUSE_S)
                except asyncio.CancelledError:
                    if stopping.is_set():
                        return
                    raise
                except exceptions.ConnectorException as exc:
                    # The database went away (restart, failover, connection cut). The jobs that were
                    # running are re-queued once this worker's old heartbeat is stale; start over.
                    logger.warning("job worker lost the database (%s); restarting in %s s", exc, RESTART_PAUSE_S)
                running.clear()
                try:
                    await asyncio.wait_for(stopping.wait(), RESTART_PAUSE_S)
                except asyncio.TimeoutError:
                    pass
        finally:
            await app.close_async()
