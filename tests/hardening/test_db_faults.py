"""PostgreSQL restarts, cut-off uploads and backups, against a private cluster and real daphne."""

from __future__ import annotations

import io
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import CITY_HALL
from tests.support.servers import PG_BIN, Daphne, PrivatePostgres

pytestmark = pytest.mark.slow
BODY = {"category": "roads", "description": "Jalan amblas", "location": {"type": "Point", "coordinates": list(CITY_HALL)}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    pg = PrivatePostgres()
    media = tmp_path_factory.mktemp("media")
    try:
        pg.create_city_db()
        server = Daphne(DATABASE_URL=pg.url(), MEDIA_ROOT=media, CONN_MAX_AGE="60")
        try:
            yield pg, server, Path(media)
        finally:
            server.stop()
    finally:
        pg.destroy()


def count(pg, table="fieldops_complaint") -> int:
    return int(pg.psql(f"SELECT count(*) FROM {table}", db="laksa"))


def test_postgres_restart_fails_fast_with_503_then_recovers_by_itself(stack):
    pg, server, _ = stack
    with httpx.Client(base_url=server.url, timeout=15, headers={"Accept-Language": "en"}) as client:
        before = count(pg)
        assert client.post("/api/v1/complaints/", json=BODY).status_code == 201
        pg.stop()
        try:
            started = time.monotonic()
            r = client.post("/api/v1/complaints/", json=BODY)
            elapsed = time.monotonic() - started
            assert r.status_code == 503, r.text
            assert "database is unavailable" in r.json()["detail"]
            assert elapsed < 5
            assert client.get("/api/v1/complaints/").status_code == 503
        finally:
            pg.start()
        # No restart of daphne: the next requests work again.
        statuses = [client.post("/api/v1/complaints/", json=BODY).status_code for _ in range(3)]
        assert statuses[-1] == 201 and set(statuses) <= {201, 503}
        created = 1 + statuses.count(201)
    # Exactly the complaints that were answered 201 exist, each with its first event.
    assert count(pg) == before + created
    assert int(pg.psql("SELECT count(*) FROM fieldops_complaint c WHERE NOT EXISTS"
                       " (SELECT 1 FROM fieldops_complaintevent e WHERE e.complaint_id = c.id)", db="laksa")) == 0


def _jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", quality=95)
    return out.getvalue()


def _multipart(photo: bytes) -> tuple[bytes, str]:
    boundary = "----laksa-boundary-7MA4YWxkTrZu0gW"
    parts = []
    for name, value in [("category", "drainage"), ("description", "Saluran tersumbat"),
                        ("lat", str(CITY_HALL[1])), ("lon", str(CITY_HALL[0]))]:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_photo_upload_cut_off_halfway_stores_nothing_and_a_retry_succeeds(stack):
    pg, server, media = stack
    body, ctype = _multipart(_jpeg())
    complaints, photos = count(pg), count(pg, "fieldops_photo")
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(
            f"POST /api/v1/complaints/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[: len(body) // 2]
        )
        time.sleep(0.5)
    time.sleep(1.0)
    assert count(pg) == complaints and count(pg, "fieldops_photo") == photos
    assert not list(media.rglob("*.jpg"))
    r = httpx.post(f"{server.url}/api/v1/complaints/", content=body, headers={"Content-Type": ctype}, timeout=15)
    assert r.status_code == 201, r.text
    assert count(pg, "fieldops_photo") == photos + 1


def test_backup_restores_into_a_fresh_database(stack, tmp_path):
    pg, _, _ = stack
    dump = tmp_path / "laksa.dump"
    subprocess.run([str(PG_BIN / "pg_dump"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-Fc",
                    "-f", str(dump), "laksa"], check=True)
    pg.psql("CREATE DATABASE laksa_restored")
    subprocess.run([str(PG_BIN / "pg_restore"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                    "-d", "laksa_restored", "--no-owner", str(dump)], check=True, capture_output=True)
    for table in ["fieldops_complaint", "fieldops_complaintevent", "boundaries_adminarea", "boundaries_areapiece",
                  "auth_user"]:
        assert pg.psql(f"SELECT count(*) FROM {table}", db="laksa_restored") == pg.psql(
            f"SELECT count(*) FROM {table}", db="laksa"), table
    # The restored copy still routes points: the spatial data and its index came back.
    assert pg.psql(
        "SELECT a.name FROM boundaries_areapiece p JOIN boundaries_adminarea a ON a.id = p.area_id"
        f" WHERE p.level = 'kecamatan' AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint({CITY_HALL[0]}, {CITY_HALL[1]}), 4326))",
        db="laksa_restored") == "Tangerang"
