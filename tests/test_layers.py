"""The package layers of DESIGN.md, read from the source (ast), not trusted.

Every import of the package (module level or inside a function) is checked
against the table of who may import whom, and the module graph must have no
cycle. A new module in a new place fails here until the table says where it
belongs.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stepbystep"

# layer -> the layers it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "numbers": set(),
    "spec": {"numbers"},
    "engine": {"spec", "numbers"},
    "document": {"engine", "spec", "numbers"},
    "formats": {"document", "numbers"},
    "grading": {"engine", "spec", "numbers"},
    "exercises": {"grading", "formats", "document", "engine", "spec", "numbers"},
}
TOP = {"api", "walkthrough", "cli", "cli_arguments", "__init__", "__main__", "mkdocs", "sphinx", "embed",
       "outputs"}  # may import everything

# Imports that break the table: none since the document model (issue 11 §2),
# where figures are blocks of data drawn by formats/ and formats/ render the
# document tree instead of reading the trace. Keep it empty.
KNOWN: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Package modules imported by the file, as dotted names under stepbystep."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "stepbystep":
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # `from . import api` imports a module
                candidate = ".".join(target + [alias.name])
                found.add(candidate if _exists(candidate) else ".".join(target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "stepbystep":
                    found.add(".".join(alias.name.split(".")[1:]))
    return {name for name in found if name}


def _exists(dotted: str) -> bool:
    path = PACKAGE.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> str:
    return module.split(".")[0]


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def test_every_import_respects_the_layers() -> None:
    wrong = []
    for module, targets in graph().items():
        source = layer(module)
        if source in TOP:
            continue
        assert source in ALLOWED, f"{module}: a layer DESIGN.md's table does not name"
        for target in targets:
            destination = layer(target)
            if destination == source or destination in ALLOWED[source]:
                continue
            if (module, target) not in KNOWN:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_known_exceptions_are_still_needed() -> None:
    """An exception that no longer occurs is removed from KNOWN."""
    edges = {(module, target) for module, targets in graph().items() for target in targets}
    assert KNOWN <= edges, f"no longer imported, drop from KNOWN: {sorted(KNOWN - edges)}"


def test_no_import_cycles() -> None:
    modules = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(modules.get(module, ())):
            if target not in modules or target == module or (module, target) in KNOWN:
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(modules):
        if module not in state and layer(module) not in TOP:
            visit(module)


def test_the_checker_sees_imports_inside_functions() -> None:
    """The reader itself: a lazy import inside a function counts."""
    found = imports_of(PACKAGE / "cli.py")
    assert "api" in found


def test_the_command_line_calls_only_the_library_api() -> None:
    """DESIGN.md: the CLI is a thin face over api.py (issue 11 §3); it writes
    files through outputs.py and reads its options from cli_arguments.py."""
    for name in ("cli.py", "cli_arguments.py"):
        found = imports_of(PACKAGE / name)
        assert found <= {"api", "outputs", "cli_arguments"}, (name, sorted(found))
