"""The codebase's shape: import cycles, long functions, long modules (issue 20's done-when checks).

Reads the source with ``ast`` (nothing is imported). An import cycle counts
every ``import`` statement, also those inside functions, since a lazy
import still ties two modules together (not those under ``if
TYPE_CHECKING:``, which never run). Prints one line per finding, then
a JSON line; exits 1 when there is a cycle or a function over the limit.

Usage: python bench/architecture.py [--max-function-lines 60] [--max-module-lines 350]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "kg_store", "flows")
#: Argument parsers are long lists of options, not logic.
PARSERS = {("pipeline.cli", "build_parser")}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The known module an import names (``a.b.c`` may be the module ``a.b`` plus an attribute)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (annotations only: never imported at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                resolved = _resolve(target, known)
                # a package's __init__ importing its own submodules is not a cycle worth naming
                if resolved and resolved != name and not resolved.startswith(name + "."):
                    graph[name].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def long_functions(known: dict[str, Path], limit: int) -> list[tuple[str, str, int]]:
    out = []
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (name, node.name) not in PARSERS:
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    out.append((name, node.name, lines))
    return sorted(out, key=lambda item: -item[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-function-lines", type=int, default=60)
    parser.add_argument("--max-module-lines", type=int, default=350)
    args = parser.parse_args(argv)
    known = modules()
    found = cycles(import_graph(known))
    functions = long_functions(known, args.max_function_lines)
    big = sorted(((name, len(path.read_text(encoding="utf-8").splitlines())) for name, path in known.items()),
                 key=lambda item: -item[1])
    big = [(name, lines) for name, lines in big if lines > args.max_module_lines]
    for component in found:
        print("cycle:", " <-> ".join(component))
    for module, function, lines in functions:
        print(f"function over {args.max_function_lines} lines: {module}.{function} ({lines})")
    for module, lines in big:
        print(f"module over {args.max_module_lines} lines: {module} ({lines})")
    print(json.dumps({"modules": len(known), "cycles": len(found), "long_functions": len(functions),
                      "long_modules": len(big)}))
    return 1 if found or functions else 0


if __name__ == "__main__":
    sys.exit(main())
