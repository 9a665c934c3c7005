"""The house rules that import-linter does not check: no app reaches into another's private names.

`lint-imports` (the `.importlinter` layers contract, run by `make test`) proves that no app
imports a layer above it. This test reads every module of every app and fails on a name
starting with `_` taken from another app: `from fieldops.apis import _agency`, or
`apis._agency(...)` on a module imported from another app.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["common", "boundaries", "fieldops", "realtime", "integrations", "open311", "analytics", "web", "laksa_gis"]


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def _app_of(module: str | None) -> str | None:
    head = (module or "").split(".")[0]
    return head if head in APPS else None


def private_names_from_other_apps() -> list[str]:
    found = []
    for app, path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        other_modules: set[str] = set()  # local names bound to another app's modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and _app_of(node.module) not in (None, app):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{alias.name}")
                    else:
                        other_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _app_of(alias.name) not in (None, app):
                        other_modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr != "_meta"  # Django's public model metadata API
                    and isinstance(node.value, ast.Name) and node.value.id in other_modules):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_app_uses_another_apps_private_names():
    assert private_names_from_other_apps() == []


def test_layers_contract_holds():
    """The same check `make test` runs, so that a bare pytest run sees a broken layer too."""
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " 0 broken" in done.stdout
    assert "ignore_imports" not in (ROOT / ".importlinter").read_text()
