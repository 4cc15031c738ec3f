"""No import circles in the code: the modules of `shanlian` import each other in one direction only, including
imports inside functions (the usual way a circle is hidden). Imports under `if TYPE_CHECKING:` are for the type
checker and do not count. Importing a module from outside its package runs the package's `__init__` first, so that
counts as importing it too (a submodule importing a sibling does not: its package's face has already run)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, top: str = "shanlian") -> dict[str, set[str]]:
    modules = {_name(p, root): p for p in (root / top).rglob("*.py") if "migrations" not in p.parts}

    def known(target: str) -> str:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                       and getattr(branch.test, "id", getattr(branch.test, "attr", "")) == "TYPE_CHECKING"
                       for n in ast.walk(branch)}
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                prefix = ".".join([*base, *([node.module] if node.module else [])])
                targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix for a in node.names]
            else:
                continue
            for target in targets:
                found = known(target)
                if found and found != module and found.startswith(top):
                    graph[module].add(found)
                    graph[module].update(_faces(found, package, modules))
    return graph


def _faces(target: str, package: str, modules: dict[str, Path]) -> set[str]:
    """The packages whose `__init__` importing `target` runs: those holding it that do not hold the importer (a
    module inside a package runs only once its package's face has)."""
    faces = set()
    parent = target.rpartition(".")[0]
    while parent and not (package == parent or package.startswith(parent + ".")):
        if parent in modules:
            faces.add(parent)
        parent = parent.rpartition(".")[0]
    return faces


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_module_of_shanlian_imports_its_way_back_to_itself():
    graph = import_graph(SRC)
    assert len(graph) > 150 and graph["shanlian.charity.intake.importer_write"] >= {"shanlian.charity.intake.importer"}
    assert circles(graph) == []


def test_the_check_finds_a_circle_even_through_an_import_inside_a_function(tmp_path):
    pkg = tmp_path / "shanlian" / "books"
    pkg.mkdir(parents=True)
    (tmp_path / "shanlian" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "plan.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .write import w\n")
    (pkg / "write.py").write_text("from .plan import Plan\n")
    assert circles(import_graph(tmp_path)) == []  # a type-only import draws no arrow
    (pkg / "plan.py").write_text("def run():\n    from shanlian.books import write\n")
    assert circles(import_graph(tmp_path)) == [["shanlian.books.plan", "shanlian.books.write"]]


def test_the_check_finds_a_circle_through_a_packages_face(tmp_path):
    """`intake.writer` importing `services.accounts` runs `services/__init__`, which imports `services.donations`,
    which imports `intake.writer`: a circle, though no module names the one that imports it."""
    for package in ("shanlian", "shanlian/intake", "shanlian/services"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "shanlian/services/__init__.py").write_text("from .donations import record\n")
    (tmp_path / "shanlian/services/accounts.py").write_text("def cash(): ...\n")
    (tmp_path / "shanlian/services/donations.py").write_text("from shanlian.intake.writer import write\nfrom . import accounts\n")
    (tmp_path / "shanlian/intake/writer.py").write_text("from shanlian.services.accounts import cash\n")
    assert circles(import_graph(tmp_path)) == [["shanlian.intake.writer", "shanlian.services", "shanlian.services.donations"]]
    (tmp_path / "shanlian/intake/writer.py").write_text("def write(): ...\n")
    assert circles(import_graph(tmp_path)) == []
