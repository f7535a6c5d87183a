"""The domain stays plain Python: no web, socket or database import."""

import ast
from pathlib import Path

import workshop.domain

FORBIDDEN = ("flask", "flask_socketio", "socketio", "engineio", "sqlmodel", "sqlalchemy",
             "workshop.db", "workshop.models", "workshop.services", "workshop.web")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_no_framework():
    domain = Path(workshop.domain.__file__).parent
    files = list(domain.rglob("*.py"))
    assert len(files) >= 5
    offenders = {
        f"{path.relative_to(domain)}: {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert offenders == set()


def test_the_check_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from sqlmodel import select\nimport flask\n")
    assert imported_modules(sample) == {"sqlmodel", "flask"}
