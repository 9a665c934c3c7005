"""Real processes: two daphne servers sharing Redis and S3-compatible storage, and a Redis outage.

The servers run against the test database (rows committed by `committed_city`), on loopback
ports, with moto's S3 server for photos and a private redis-server for the outage.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time

import httpx
import pytest
import websockets
from django.db import connection

from tests.conftest import CITY_HALL, KARAWACI, jpeg_bytes
from tests.realtime import servers
from tests.realtime.conftest import token_for
from tests.support.worker import media_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SHARED_REDIS_DB = "redis://127.0.0.1:6379/2"  # this suite's database on the shared Redis


def _post_complaint(base: str, *, lonlat=CITY_HALL, photo: bytes | None = None, **extra) -> httpx.Response:
    data = {
        "category": "roads",
        "description": "Jalan berlubang di depan pasar",
        "location": json.dumps({"type": "Point", "coordinates": list(lonlat)}),
        "reporter_phone": "+6281298765432",
        **extra,
    }
    files = {"photo": ("lubang.jpg", photo, "image/jpeg")} if photo else None
    return httpx.post(f"{base}/api/v1/complaints/", data=data, files=files, timeout=20)


async def _open(base_ws: str, token: str, *, path: str = "/ws/ops/"):
    origin = base_ws.replace("ws://", "http://")
    ws = await websockets.connect(base_ws + path, origin=origin, open_timeout=5)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert hello["type"] == "hello", hello
    return ws


async def _until(ws, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if predicate(msg):
            return msg


@pytest.fixture
def cluster(committed_city):
    """moto S3 + two daphne processes (A and B) sharing one Redis database and the test DB."""
    import redis

    redis.Redis.from_url(SHARED_REDIS_DB).flushdb()  # our own database number only
    procs = []
    try:
        moto, moto_port = servers.start_moto()
        procs.append(moto)
        endpoint = f"http://127.0.0.1:{moto_port}"
        servers.create_bucket(endpoint, "laksa-photos")
        env = {**servers.S3_ENV, "AWS_STORAGE_BUCKET_NAME": "laksa-photos", "AWS_S3_ENDPOINT_URL": endpoint}
        db_url = servers.database_url_for(connection.settings_dict["NAME"])
        a, a_port = servers.start_daphne(database_url=db_url, redis_url=SHARED_REDIS_DB, extra_env=env, wait=False)
        procs.append(a)
        b, b_port = servers.start_daphne(database_url=db_url, redis_url=SHARED_REDIS_DB, extra_env=env, wait=False)
        procs.append(b)
        servers.wait_daphne(a, a_port)
        servers.wait_daphne(b, b_port)
        yield {"a": a_port, "b": b_port, "a_proc": a, "b_proc": b, "s3": endpoint, "env": env}
    finally:
        for proc in reversed(procs):
            servers.stop(proc)


def test_event_from_process_a_reaches_a_socket_on_process_b_and_b_serves_a_s_photo(cluster):
    token = token_for("operator")
    a, b = f"http://127.0.0.1:{cluster['a']}", f"http://127.0.0.1:{cluster['b']}"
    photo = jpeg_bytes(size=(320, 240))

    async def scenario():
        ws = await _open(f"ws://127.0.0.1:{cluster['b']}", token)
        # Warm up (first request of a fresh process: imports, DB connection, Redis pools).
        warm = await asyncio.to_thread(_post_complaint, a)
        await _until(ws, lambda m: m.get("type") == "created"
                     and m["complaint"]["tracking_code"] == warm.json()["tracking_code"], timeout=10.0)
        # A plain report: its event must reach the socket on B within 2 s of the request.
        t0 = time.monotonic()
        response = await asyncio.to_thread(_post_complaint, a)
        assert response.status_code == 201, response.text
        code = response.json()["tracking_code"]
        event = await _until(
            ws, lambda m: m.get("type") == "created" and m["complaint"]["tracking_code"] == code, timeout=2.0
        )
        elapsed = time.monotonic() - t0
        # A report with a photo (its original uploaded to the bucket inside the request).
        response = await asyncio.to_thread(_post_complaint, a, photo=photo)
        assert response.status_code == 201, response.text
        photo_code = response.json()["tracking_code"]
        await _until(ws, lambda m: m.get("type") == "created" and m["complaint"]["tracking_code"] == photo_code,
                     timeout=5.0)
        await ws.close()
        return code, event, elapsed, photo_code

    # The media job (public copy and thumbnail) runs in a worker process on the same bucket.
    with media_worker(env={**cluster["env"]}) as worker:
        code, event, elapsed, photo_code = asyncio.run(scenario())
        detail_url = f"{b}/api/v1/complaints/{photo_code}/"
        wait_for(lambda: httpx.get(detail_url, timeout=10).json()["photos"][0]["state"] == "ready", timeout=30,
                 proc=worker)
    assert elapsed < 2.0, f"event reached process B after {elapsed:.2f} s"
    assert event["complaint"]["status_color"] == "red"
    code = photo_code

    # The photo went to object storage through A; B lists it and serves it.
    detail = httpx.get(f"{b}/api/v1/complaints/{code}/", timeout=10).json()
    assert len(detail["photos"]) == 1
    url = detail["photos"][0]["url"]
    assert url.startswith(f"{b}/media/public/photos/"), url
    image = httpx.get(url, timeout=10)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    from PIL import Image

    served = Image.open(io.BytesIO(image.content))
    assert served.size == (320, 240) and not served.getexif(), "public copy without EXIF"
    thumb_url = detail["photos"][0]["thumb_url"].replace(b, a)
    assert httpx.get(thumb_url, timeout=10).status_code == 200, "and A serves it too"
    # In the bucket: the private original beside the public copies, never served.
    import boto3

    s3 = boto3.client("s3", endpoint_url=cluster["s3"], region_name="us-east-1",
                      aws_access_key_id="laksa-test", aws_secret_access_key="laksa-test")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="laksa-photos")["Contents"]]
    original = next(k for k in keys if k.startswith("private/originals/"))
    assert httpx.get(f"{b}/media/{original}", timeout=10).status_code == 404
    assert httpx.get(f"{b}/media/public/../{original}", timeout=10).status_code == 404
    assert len(keys) == 3, keys
    # Nothing landed on either process's local disk: any process can serve any photo.
    for proc in (cluster["a_proc"], cluster["b_proc"]):
        assert not any(files for _root, _dirs, files in os.walk(proc.media_root)), proc.media_root


@pytest.mark.parametrize("layer", ["core", "pubsub"])
def test_redis_outage_loses_no_event_and_resume_delivers_the_missed_ones(committed_city, layer):
    token = token_for("operator")
    redis_proc, redis_port = servers.start_redis()  # a private Redis we may stop
    daphne = None
    try:
        db_url = servers.database_url_for(connection.settings_dict["NAME"])
        daphne, port = servers.start_daphne(database_url=db_url, redis_url=f"redis://127.0.0.1:{redis_port}/0",
                                            extra_env={"CHANNEL_LAYER": layer})
        base, base_ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"

        async def before_outage():
            ws = await _open(base_ws, token)
            code = (await asyncio.to_thread(_post_complaint, base)).json()["tracking_code"]
            live = await _until(ws, lambda m: m.get("type") == "created", timeout=3)
            assert live["complaint"]["tracking_code"] == code
            return ws, live["event_id"]

        async def during_outage(ws):
            servers.stop(redis_proc)
            codes, slowest = [], 0.0
            for lonlat in (CITY_HALL, KARAWACI):
                t0 = time.monotonic()
                response = await asyncio.to_thread(_post_complaint, base, lonlat=lonlat)
                slowest = max(slowest, time.monotonic() - t0)
                assert response.status_code == 201, response.text  # the write succeeds without Redis
                codes.append(response.json()["tracking_code"])
            return codes, slowest

        async def closed_by_server(ws) -> int | None:
            """The socket that was open during the outage must not stay open, silently missing events."""
            try:
                async with asyncio.timeout(10):
                    async for msg in ws:
                        assert json.loads(msg).get("type") in ("error", "pong"), msg  # no event got through
            except TimeoutError:
                await ws.close()
                return None
            except websockets.ConnectionClosed:
                pass
            return ws.close_code

        async def after_outage(cursor):
            # A client reconnects with backoff until the server can subscribe it again.
            for _attempt in range(30):
                try:
                    ws = await _open(base_ws, token, path=f"/ws/ops/?after={cursor}")
                    break
                except Exception:
                    await asyncio.sleep(0.3)
            else:
                raise AssertionError("could not reconnect after Redis came back")
            replay = []
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if msg["type"] == "resumed":
                    break
                replay.append(msg)
            code = (await asyncio.to_thread(_post_complaint, base)).json()["tracking_code"]
            live = await _until(ws, lambda m: m.get("type") == "created", timeout=3)
            await ws.close()
            return replay, msg, code, live

        async def run():
            ws, cursor = await before_outage()
            codes, slowest = await during_outage(ws)
            nonlocal redis_proc
            redis_proc, _ = servers.start_redis(redis_port)  # Redis is back (empty: no memory of groups)
            old_close = await closed_by_server(ws)
            replay, resumed, code, live = await after_outage(cursor)
            return cursor, codes, slowest, replay, resumed, code, live, old_close

        cursor, codes, slowest, replay, resumed, code, live, old_close = asyncio.run(run())
    finally:
        servers.stop(daphne)
        servers.stop(redis_proc)

    assert old_close is not None, "the socket open during the outage was left open, silently missing events"
    assert slowest < 3.0, f"a write took {slowest:.1f} s while Redis was down"
    from fieldops.models import ComplaintEvent

    stored = list(ComplaintEvent.objects.filter(id__gt=cursor, complaint__tracking_code__in=codes)
                  .order_by("id").values_list("id", flat=True))
    assert len(stored) == 2, "both events were stored while Redis was down"
    assert [(m["type"], m["complaint"]["tracking_code"]) for m in replay] == [("created", c) for c in codes]
    assert [m["event_id"] for m in replay] == stored
    assert resumed == {"type": "resumed", "last_event_id": stored[-1], "count": 2}
    assert live["complaint"]["tracking_code"] == code, "live delivery works again"
