"""Reporter notifications on the job engine: the WhatsApp/SMS gateway channel (with consent), and
fault tests against real processes (a worker process, a real SMTP server that is down at first)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from fieldops import workflow
from integrations.models import Notification
from integrations.notifications import GatewayError
from integrations.tasks import notification_send
from tests.conftest import KARAWACI, make_complaint
from tests.support.fake_services import FakeGateway, Smtp
from tests.support.servers import free_port
from tests.support.worker import committed  # noqa: F401  (a fixture)
from tests.support.worker import run_deferred, start_worker, stop_worker, wait_for

SEND = "integrations.tasks.notification_send"


@pytest.fixture
def gateway(settings):
    with FakeGateway(fail_first=1) as gw:
        settings.NOTIFY_GATEWAY_URL, settings.NOTIFY_GATEWAY_TOKEN = gw.url, gw.token
        yield gw


@pytest.mark.django_db
def test_a_consenting_reporter_gets_the_status_by_the_phone_gateway_once(city, gateway):
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint(reporter_phone="081234567890", reporter_phone_consent=True).complaint
    no_consent = make_complaint(reporter_phone="081200000000", lonlat=KARAWACI).complaint
    workflow.complaint_verify(complaint=c, actor=operator, note="Tim segera datang")
    workflow.complaint_verify(complaint=no_consent, actor=operator)
    assert list(Notification.objects.values_list("complaint_id", "channel")) == [(c.pk, "phone")]
    with pytest.raises(GatewayError):  # the gateway answers 503 once: the engine retries
        run_deferred(SEND)
    n = Notification.objects.get()
    assert n.state == "pending" and "HTTP 503" in n.last_error
    assert notification_send(notification_id=n.pk) == "sent"
    assert notification_send(notification_id=n.pk) == "done"  # a second run sends nothing
    key = str(n.key)
    assert gateway.delivered == {key: 1}
    body = gateway.bodies[key]
    assert body["to"] == "081234567890" and body["ref"] == key
    assert "Tim segera datang" in body["text"]["body"] and f"/lacak/{c.tracking_code}/" in body["text"]["body"]


# ---------------------------------------------------------------- real processes


@pytest.mark.slow
def test_smtp_down_during_50_status_changes_then_each_reporter_gets_one_mail_per_change(committed):
    operator = get_user_model().objects.get(username="operator")
    port = free_port()
    made = [make_complaint(reporter_email=f"warga{i}@example.id").complaint for i in range(25)]
    for c in made:  # 50 public status changes: verified, then rejected
        workflow.complaint_verify(complaint=c, actor=operator)
        workflow.complaint_reject(complaint=c, actor=operator, reason="Bukan kewenangan kota")
    assert Notification.objects.filter(complaint__in=made).count() == 50
    env = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
           "EMAIL_PORT": str(port), "EMAIL_TIMEOUT": "2", "JOBS_BACKOFF_BASE_S": "0.2",
           "JOBS_BACKOFF_MAX_S": "1", "JOBS_MAX_ATTEMPTS": "100"}
    worker = start_worker("--queues", "notifications", env=env)
    try:  # nothing listens on the SMTP port: every attempt fails and is retried
        wait_for(lambda: Notification.objects.filter(complaint__in=made, attempts__gte=1).count() == 50,
                 timeout=30, proc=worker)
        assert not Notification.objects.filter(complaint__in=made, state="sent").exists()
        with Smtp(port) as smtp:
            wait_for(lambda: not Notification.objects.filter(complaint__in=made, state="pending").exists(),
                     timeout=30, proc=worker)
    finally:
        stop_worker(worker)
    received = [(m["To"], m["Subject"]) for m in smtp.messages]
    assert len(received) == 50 and len(set(received)) == 50  # one mail per change, none twice
    for c in made:
        mine = [s for to, s in received if to == c.reporter_email]
        assert len(mine) == 2 and all(c.tracking_code in s for s in mine)


def _phone_reporters(n: int):
    operator = get_user_model().objects.get(username="operator")
    made = [make_complaint(reporter_phone=f"08120000{i:04d}", reporter_phone_consent=True).complaint
            for i in range(n)]
    for c in made:
        workflow.complaint_verify(complaint=c, actor=operator)
    keys = {str(k) for k in Notification.objects.filter(complaint__in=made).values_list("key", flat=True)}
    assert len(keys) == n
    return made, keys


def _gateway_env(gw) -> dict:
    return {"NOTIFY_GATEWAY_URL": gw.url, "NOTIFY_GATEWAY_TOKEN": gw.token, "JOBS_BACKOFF_BASE_S": "0.2",
            "JOBS_BACKOFF_MAX_S": "1", "JOBS_MAX_ATTEMPTS": "100",
            "JOBS_HEARTBEAT_S": "0.3", "JOBS_STALLED_AFTER_S": "1"}


def _all_jobs_succeeded():
    from procrastinate.contrib.django.models import ProcrastinateJob

    return set(ProcrastinateJob.objects.filter(task_name=SEND).values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.slow
def test_worker_killed_mid_batch_then_restarted_every_message_delivered_once(committed):
    import os
    import signal
    import time

    made, keys = _phone_reporters(20)
    with FakeGateway(delay=0.05) as gw:
        worker = start_worker("--queues", "notifications", env=_gateway_env(gw))
        wait_for(lambda: len(gw.delivered) >= 5, timeout=20, proc=worker)
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch, likely mid-request
        worker.wait(timeout=10)
        sent = Notification.objects.filter(complaint__in=made, state="sent").count()
        assert 0 < sent < 20, sent
        time.sleep(1.2)  # its heartbeat goes stale: the jobs it was running are taken up again
        again = start_worker("--queues", "notifications", "--until-empty", env=_gateway_env(gw))
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err[-2000:]
    assert not Notification.objects.filter(complaint__in=made).exclude(state="sent").exists()
    assert set(gw.delivered) == keys and set(gw.delivered.values()) == {1}  # each once
    assert _all_jobs_succeeded()


@pytest.mark.slow
def test_postgresql_restarts_while_jobs_run_they_are_retried_none_lost(committed):
    """PostgreSQL restarts for real while the worker sends: the server stops, every connection is
    cut and new ones are refused for a moment, then it comes back. The machine's cluster is shared
    (this very test process uses it), so the worker runs on a private cluster holding a copy of the
    test database, jobs included (tests/support/private_postgres.py), and that one is restarted."""
    import psycopg2

    from tests.support.private_postgres import private_postgres_copy_of

    made, keys = _phone_reporters(20)
    with private_postgres_copy_of(connection.settings_dict) as pg, FakeGateway(delay=0.05) as gw:

        def sent() -> int:
            with psycopg2.connect(pg.dsn()) as db, db.cursor() as cur:
                cur.execute("SELECT count(*) FROM integrations_notification WHERE state = 'sent'")
                return cur.fetchone()[0]

        def job_states() -> set:
            with psycopg2.connect(pg.dsn()) as db, db.cursor() as cur:
                cur.execute("SELECT DISTINCT status FROM procrastinate_jobs WHERE task_name = %s", [SEND])
                return {row[0] for row in cur.fetchall()}

        worker = start_worker("--queues", "notifications", env={**_gateway_env(gw), "DATABASE_URL": pg.url})
        try:
            wait_for(lambda: len(gw.delivered) >= 4, timeout=30, proc=worker)
            pg.restart()
            assert 0 < len(gw.delivered) < 20, "the restart came after the batch: nothing was tested"
            wait_for(lambda: sent() == 20, timeout=60, interval=0.5, proc=worker)
            wait_for(lambda: job_states() == {"succeeded"}, timeout=30, interval=0.5, proc=worker)
        finally:
            out, err = stop_worker(worker)
    assert set(gw.delivered) == keys and set(gw.delivered.values()) == {1}, err[-2000:]


@pytest.mark.django_db
def test_the_reporter_consents_to_the_phone_channel_at_intake(city, api):
    from fieldops.models import Complaint

    base = {"category": "roads", "description": "Jalan berlubang di depan sekolah",
            "location": {"type": "Point", "coordinates": list(KARAWACI)}, "reporter_phone": "081234000111"}
    yes = api.post("/api/v1/complaints/", {**base, "reporter_phone_consent": True}, format="json")
    no = api.post("/api/v1/complaints/", base, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert yes.status_code == 201 and no.status_code == 201, (yes.content, no.content)
    a = Complaint.objects.get(tracking_code=yes.json()["tracking_code"])
    b = Complaint.objects.get(tracking_code=no.json()["tracking_code"])
    assert (a.reporter_phone_consent, b.reporter_phone_consent) == (True, False)
    assert b.reporter_language == "en"  # the language the report was made in


@pytest.mark.django_db
def test_admins_see_notifications_and_their_state(city, client):
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint(reporter_email="pelapor@example.id").complaint
    workflow.complaint_verify(complaint=c, actor=operator)
    client.force_login(get_user_model().objects.create_superuser("notifadmin", "n@example.id", "x"))
    page = client.get("/admin/integrations/notification/?state__exact=pending")
    assert page.status_code == 200 and c.tracking_code in page.content.decode()
    assert client.get("/admin/integrations/pushsubscription/").status_code == 200
