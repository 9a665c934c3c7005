"""Start and stop the real processes of a scaled-out LAKSA-GIS on loopback ports: daphne,
a private redis-server, and moto's S3-compatible server. Used by the slow tests and by
bench/fanout.py. Every process binds 127.0.0.1 on a free port and is stopped by its pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {_tail(proc)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout} s: {last}; {_tail(proc) if proc else ''}")


def _tail(proc) -> str:
    path = getattr(proc, "log_path", None)
    if path and os.path.exists(path):
        return Path(path).read_text(errors="replace")[-3000:]
    return ""


def _spawn(args: list[str], *, env: dict | None = None, name: str) -> subprocess.Popen:
    log = tempfile.NamedTemporaryFile(prefix=f"laksa-{name}-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        args, cwd=BASE_DIR, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_path = log.name
    return proc


def stop(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """Stop one process we started (by its pid, TERM then KILL)."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    for attr in ("log_path",):
        path = getattr(proc, attr, None)
        if path and not os.environ.get("LAKSA_KEEP_LOGS"):
            with contextlib.suppress(OSError):
                os.unlink(path)
    media = getattr(proc, "media_root", None)
    if media:
        shutil.rmtree(media, ignore_errors=True)


def start_redis(port: int | None = None) -> tuple[subprocess.Popen, int]:
    """A private, memory-only redis-server (never the shared one on 6379)."""
    port = port or free_port()
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = _spawn([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], name="redis")
    wait_port(port, proc=proc)
    return proc, port


def start_moto(port: int | None = None) -> tuple[subprocess.Popen, int]:
    """moto's S3-compatible server (object storage for photos)."""
    port = port or free_port()
    proc = _spawn([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], name="moto")
    wait_port(port, proc=proc)
    return proc, port


S3_ENV = {"AWS_ACCESS_KEY_ID": "laksa-test", "AWS_SECRET_ACCESS_KEY": "laksa-test", "AWS_DEFAULT_REGION": "us-east-1"}


def create_bucket(endpoint: str, bucket: str) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"], aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket=bucket)


def start_daphne(*, database_url: str, redis_url: str = "", extra_env: dict | None = None,
                 port: int | None = None, wait: bool = True) -> tuple[subprocess.Popen, int]:
    """One daphne process serving HTTP and WebSocket from laksa_gis.asgi."""
    port = port or free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LAKSA_ENV": "local",
        "DEBUG": "0",
        "COMPLAINT_THROTTLE_RATE": "100000/min",
        "COMPLAINT_DEVICE_THROTTLE_RATE": "100000/min",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="laksa-media-"),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("LAKSA_TEST_DB", None)
    proc = _spawn([str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "--application-close-timeout", "2", "laksa_gis.asgi:application"],
                  env=env, name=f"daphne-{port}")
    proc.media_root = env["MEDIA_ROOT"]
    if wait:
        wait_daphne(proc, port)
    return proc, port


def wait_daphne(proc: subprocess.Popen, port: int) -> None:
    wait_http(f"http://127.0.0.1:{port}/api/v1/categories/", proc=proc)


def database_url_for(name: str) -> str:
    """DATABASE_URL of the test database (same server and credentials as the running one)."""
    from django.db import connection

    s = connection.settings_dict
    return f"postgis://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
