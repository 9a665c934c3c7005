"""Every message a person reads is in their language (issue 15): each error message of the
project has an Indonesian translation, and the API answers in the request's language."""

from __future__ import annotations

import gettext
import importlib
import pkgutil
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.functional import Promise

from tests.conftest import CITY_HALL
from tests.fieldops.wf_helpers import as_user, complaint_in, gps_jpeg, offset

APPS = ("common", "boundaries", "fieldops", "realtime", "integrations", "open311", "analytics", "web")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+(?:![rs])?\}")


def error_constants() -> dict[str, object]:
    """Every module-level ERR_* constant (and DB_UNAVAILABLE) of the apps' modules."""
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if name.startswith("ERR_") or name == "DB_UNAVAILABLE":
                    found[f"{info.name}.{name}"] = value
    return found


def test_every_error_constant_is_lazy_and_has_an_indonesian_translation():
    constants = error_constants()
    assert len(constants) > 130, "the walk found too few messages: is it still walking the apps?"
    problems = []
    for where, message in constants.items():
        if not isinstance(message, Promise):
            problems.append(f"{where}: not a gettext_lazy string, so it cannot follow the reader's language")
            continue
        with translation.override("en"):
            english = str(message)
        with translation.override("id"):
            indonesian = str(message)
        if not indonesian or indonesian == english:
            problems.append(f"{where}: no Indonesian translation of {english!r}")
        elif sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(indonesian)):
            problems.append(f"{where}: the translation changes the placeholders of {english!r}")
    assert not problems, "\n".join(problems)


def test_every_gettext_call_of_the_apps_is_in_the_indonesian_catalog(tmp_path):
    """xgettext (as makemessages runs it) over the apps' Python sources: each msgid it finds is
    in locale/id (a translation identical to the English, such as "Web", is allowed there)."""
    base = Path(settings.BASE_DIR)
    sources = sorted(str(p.relative_to(base)) for app in APPS for p in (base / app).rglob("*.py")
                     if "migrations" not in p.parts)
    pot = tmp_path / "sources.pot"
    keywords = ["gettext_noop", "gettext_lazy", "ngettext_lazy:1,2", "pgettext:1c,2", "pgettext_lazy:1c,2",
                "npgettext:1c,2,3", "npgettext_lazy:1c,2,3", "_"]
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "-o", str(pot),
                    *(f"--keyword={k}" for k in keywords), *sources], cwd=base, check=True)
    po, mo = base / "locale" / "id" / "LC_MESSAGES" / "django.po", tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
    catalog = gettext.GNUTranslations(mo.open("rb"))._catalog
    missing = []
    msgids = re.findall(r'(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid ((?:"(?:[^"\\]|\\.)*"\n)+)', pot.read_text())
    for context, raw in msgids:
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', raw)).encode().decode("unicode_escape").encode("latin-1").decode()
        if not msgid:
            continue
        key = f"{context}\x04{msgid}" if context else msgid
        if key not in catalog and (key, 0) not in catalog:
            missing.append(msgid)
    assert not missing, "not in locale/id/LC_MESSAGES/django.po:\n" + "\n".join(missing)


@pytest.mark.django_db
def test_a_refused_resolve_answers_in_the_language_of_the_request(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    answers = {}
    for lang in ("id", "en"):
        r = api.post(f"/api/v1/complaints/{c.tracking_code}/resolve/", {}, format="json", HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 400, r.content
        answers[lang] = r.json()
    assert answers["en"]["before"] == ["A before photo is required."]
    assert answers["id"]["before"] == ["Foto sebelum wajib ada."]
    assert answers["id"]["detail"].startswith(f"Laporan {c.tracking_code} belum bisa diselesaikan")
    assert answers["en"]["detail"].startswith(f"Complaint {c.tracking_code} cannot be resolved")
    # ?lang= wins for one request, as for a link or a script.
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/resolve/?lang=en", {}, format="json", HTTP_ACCEPT_LANGUAGE="id")
    assert r.json()["before"] == ["A before photo is required."]


@pytest.mark.django_db
def test_a_far_photo_is_refused_in_indonesian_with_its_distance(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    image = SimpleUploadedFile("foto.jpg", gps_jpeg(offset(CITY_HALL, north_m=4000)), content_type="image/jpeg")
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/photos/", {"kind": "after", "image": image},
                 format="multipart", HTTP_ACCEPT_LANGUAGE="id")
    assert r.status_code == 400
    distance = round(r.json()["distance_m"])
    assert r.json()["image"][0].startswith(f"Foto sesudah diambil {distance} m dari titik laporan; batasnya 100 m")


@pytest.mark.django_db
def test_drf_field_messages_and_throttling_come_in_indonesian(city, api, settings):
    r = api.post("/api/v1/complaints/", {}, format="json", HTTP_ACCEPT_LANGUAGE="id")
    assert r.status_code == 400
    assert r.json()["description"] == ["Isian ini wajib diisi."]
    from common.api_errors import throttled_message

    with translation.override("id"):
        assert throttled_message(7) == "Terlalu banyak permintaan; silakan coba lagi dalam 7 detik."
    with translation.override("en"):
        assert throttled_message(1) == "Too many requests; please try again in 1 second."


def test_every_drf_field_and_exception_message_has_an_indonesian_translation():
    """DRF's validation and error messages, from its Indonesian catalog or ours (which fills its gaps)."""
    from rest_framework import exceptions, fields, relations, serializers

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    messages = set()
    for module in (fields, relations, serializers):
        for cls in subclasses(fields.Field):
            if cls.__module__ == module.__name__:
                messages.update(getattr(cls, "default_error_messages", {}).values())
    messages.update(cls.default_detail for cls in subclasses(exceptions.APIException))
    assert len(messages) > 60
    untranslated = []
    for message in messages:
        with translation.override("en"):
            english = str(message)
        with translation.override("id"):
            indonesian = str(message)
        if indonesian == english:
            untranslated.append(english)
    assert not untranslated, "\n".join(sorted(untranslated))


@pytest.mark.django_db
def test_a_forbidden_action_names_the_action_in_both_languages(city, api):
    c, _ = complaint_in("new")
    as_user(api, "crew_member")
    answers = {lang: api.post(f"/api/v1/complaints/{c.tracking_code}/reroute/", {"agency": "dlh", "reason": "x"},
                              format="json", HTTP_ACCEPT_LANGUAGE=lang) for lang in ("en", "id")}
    assert {r.status_code for r in answers.values()} == {403}, {k: r.content for k, r in answers.items()}
    assert answers["en"].json()["detail"] == "Your role may not reroute complaints."
    assert answers["id"].json()["detail"] == "Peran Anda tidak boleh melakukan tindakan “reroute” pada pengaduan."
