"""gunicorn settings for serving LAKSA-GIS's HTTP (WSGI) beside daphne for WebSocket.

`make serve-prod` and bench/intake.py use this file; docs/SERVING.md explains the choices and
what each one bought. Everything can be overridden on the command line or GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8101")  # daphne keeps :8001, :8002 (docs/DEPLOY.md)
# Sync workers: one request at a time per process, no event loop, persistent DB connections
# (CONN_MAX_AGE). 2 x cores + 1 keeps the cores busy while some workers wait on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Load the app once in the master and fork: workers share memory and start fast.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")


def pre_fork(server, worker):
    """Never hand a database connection the master may have opened (preload_app) to a worker."""
    from django.db import connections

    connections.close_all()
