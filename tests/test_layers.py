"""Imports run down: entry points (web/, live/) -> services -> domain (docs/architecture.md).

Read from the source (no import executed), for every module of the package:
web/ and live/ never import each other, services never import an entry
point nor, even through another module, Flask; nothing but the wiring
imports the package root (`create_app`'s module).
"""

import ast
from pathlib import Path

import workshop

PACKAGE = Path(workshop.__file__).parent
WIRING = {"workshop", "workshop.cli", "workshop.server", "workshop.__main__",
          "workshop.worker.consumer",  # the worker process makes its own app
          "workshop.worker.process"}  # and so does each job's process
ENTRY = ("workshop.web", "workshop.live")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """What a file imports: `from workshop.x import y` names workshop.x.y when y is a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in modules else node.module)
    return names


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    return {name: imports(path, set(files)) for name, path in files.items()}


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def offences(edges: dict[str, set[str]]) -> set[str]:
    found = set()
    for source, targets in edges.items():
        for target in targets:
            if not within(target, "workshop"):
                continue
            wrong = (
                (within(source, "workshop.web") and within(target, "workshop.live"))
                or (within(source, "workshop.live") and within(target, "workshop.web"))
                or (within(source, "workshop.services", "workshop.domain")
                    and within(target, *ENTRY, "workshop.exports", "workshop.cli"))
                or (target == "workshop" and source not in WIRING)
            )
            if wrong:
                found.add(f"{source} -> {target}")
    return found


def reaches_flask(edges: dict[str, set[str]], start: str) -> list[str]:
    """A chain of workshop imports from `start` to a module importing Flask, if any."""
    seen, stack = {start}, [[start]]
    while stack:
        chain = stack.pop()
        for target in sorted(edges.get(chain[-1], ())):
            if within(target, "flask", "flask_babel", "flask_socketio", "flask_wtf"):
                return chain + [target]
            if target in edges and target not in seen:
                seen.add(target)
                stack.append(chain + [target])
    return []


def test_imports_run_down():
    edges = graph()
    assert len(edges) > 50
    assert offences(edges) == set()


def test_services_do_not_pull_in_flask():
    edges = graph()
    services = [name for name in edges if within(name, "workshop.services")]
    assert len(services) > 10
    assert {name: chain for name in services if (chain := reaches_flask(edges, name))} == {}


def test_the_checks_catch_an_upward_import():
    assert offences({"workshop.live.x": {"workshop.web"},
                     "workshop.web.y": {"workshop.live.broadcast"},
                     "workshop.services.z": {"workshop.live.dispatch", "workshop.domain.rules"},
                     "workshop.web.w": {"workshop"}}) == {
        "workshop.live.x -> workshop.web", "workshop.web.y -> workshop.live.broadcast",
        "workshop.services.z -> workshop.live.dispatch", "workshop.web.w -> workshop"}
    assert reaches_flask({"workshop.services.a": {"workshop.b"}, "workshop.b": {"flask_babel"}},
                         "workshop.services.a") == ["workshop.services.a", "workshop.b",
                                                    "flask_babel"]
