"""Production settings pass Django's deploy checks; demo data never loads in production."""

import os
import re
import subprocess
import sys

from django.conf import settings

PROD_ENV = {
    "LAKSA_ENV": "production",
    "SECRET_KEY": "x7-production-test-key-" + "k" * 40 + "-Zq9!",
    "ALLOWED_HOSTS": "laksa.example.id",
}


def manage(*args, env=None):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120,
    )


def test_production_mode_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_the_development_secret_key():
    result = manage("check", env={"LAKSA_ENV": "production", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_demo_accounts_refused_in_production_mode():
    from fieldops.citysetup import ERR_DEMO_IN_PRODUCTION, SetupError, demo_accounts_load
    import pytest
    from django.test import override_settings

    with override_settings(DEMO_MODE=False), pytest.raises(SetupError, match=re.escape(str(ERR_DEMO_IN_PRODUCTION))):
        demo_accounts_load(settings.BASE_DIR / "fixtures" / "tangerang" / "demo_accounts.csv", None)


def test_local_mode_is_the_default():
    assert settings.LAKSA_ENV in {"local", "production"}
    if "LAKSA_ENV" not in os.environ:
        assert settings.DEMO_MODE and settings.LANGUAGE_CODE == "id"
