"""The shape of the package, read with `ast`: layers, import circles, module and function sizes,
package docstrings, and the reasons for imports inside functions.

The layer order is declared once, in `llamax_cli.LAYERS`; `api.py` and `__main__.py` sit above
every layer. A module may import its own layer and the layers before it, never one after it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import llamax_cli

PACKAGE = Path(llamax_cli.__file__).resolve().parent
TOP = "top"  # api.py, __main__.py, __init__.py: above every layer
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path))
         for name, path in MODULES.items()}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in llamax_cli.LAYERS) \
        else TOP


def rank(layer: str) -> int:
    return len(llamax_cli.LAYERS) if layer == TOP else llamax_cli.LAYERS.index(layer)


def imported_modules(name: str) -> set[str]:
    """The llamax_cli modules `name` imports, anywhere in it (TYPE_CHECKING included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in MODULES else source)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name and m != "llamax_cli"}


GRAPH = {name: imported_modules(name) for name in MODULES}


def test_every_module_sits_in_a_declared_layer():
    strays = [name for name in MODULES if layer_of(name) == TOP
              and name not in ("llamax_cli", "llamax_cli.api", "llamax_cli.__main__")]
    assert strays == [], f"modules outside the layers {llamax_cli.LAYERS}: {strays}"
    for layer in llamax_cli.LAYERS:
        assert f"llamax_cli.{layer}" in MODULES, f"declared layer {layer} has no package"


def test_no_import_goes_up_a_layer():
    upward = [f"{name} ({layer_of(name)}) imports {dep} ({layer_of(dep)})"
              for name, deps in sorted(GRAPH.items()) for dep in sorted(deps)
              if rank(layer_of(dep)) > rank(layer_of(name))]
    assert upward == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the import circles (components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in graph[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_no_import_circles():
    assert strongly_connected(GRAPH) == []


def test_the_circle_finder_finds_circles():
    # The check above can fail: a two-module circle and a three-module one are found.
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(strongly_connected(graph)) == [["a", "b"], ["c", "d", "e"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines"


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body, after the signature and docstring: a Typer command's option
    declarations are its signature, and do not count."""
    body = function.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1


def test_function_sizes():
    long = [f"{name}.{node.name}: {body_lines(node)} lines"
            for name, tree in TREES.items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and body_lines(node) > MAX_FUNCTION_LINES]
    assert long == []


@pytest.mark.parametrize("layer", llamax_cli.LAYERS)
def test_each_package_says_what_it_is_for_and_may_import(layer):
    doc = ast.get_docstring(TREES[f"llamax_cli.{layer}"]) or ""
    assert len(doc) > 80 and "May import" in doc, f"llamax_cli/{layer}/__init__.py"


def function_level_imports(name: str):
    lines = MODULES[name].read_text(encoding="utf-8").split("\n")
    for node in ast.walk(TREES[name]):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                yield inner, lines


def has_reason(node: ast.stmt, lines: list[str]) -> bool:
    """A comment on the import's line, or above the block of imports it belongs to."""
    if "#" in lines[node.lineno - 1]:
        return True
    row = node.lineno - 2
    while row >= 0 and lines[row].strip().startswith(("from ", "import ", ")")):
        if "#" in lines[row]:
            return True
        row -= 1
    return row >= 0 and lines[row].strip().startswith("#")


def test_imports_inside_functions_say_why():
    # Imports belong at the top, where the layering is visible; one inside a function is
    # there to keep start-up fast (or to break no circle: there are none), and says so.
    silent = [f"{name}:{node.lineno}" for name in sorted(MODULES)
              for node, lines in function_level_imports(name) if not has_reason(node, lines)]
    assert silent == []


# Names with a leading underscore that are public in spite of it: namedtuple's API,
# os._exit (leaving without unwinding, after a fork or a last-resort stop).
PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_exit"}


def private_uses(path: Path) -> list[str]:
    """`x._name` where x is not self or cls, and `from m import _name`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__") and node.attr not in PUBLIC_UNDERSCORE:
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"{path.name}:{node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


@pytest.mark.parametrize("folder", ["llamax_cli", "tools", "benchmarks"])
def test_no_module_touches_another_objects_private_names(folder):
    # Tests may, sparingly; the package, its tools and its benchmarks use public seams.
    root = PACKAGE.parent / folder
    found = [use for path in sorted(root.rglob("*.py")) for use in private_uses(path)]
    assert found == []


def test_the_private_name_check_sees_private_names(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from m import _hidden\nengine._ctx\nself._ok\nos._exit(0)\n")
    assert private_uses(sample) == ["sample.py:1: import _hidden", "sample.py:2: engine._ctx"]


def test_every_module_has_a_test_file_of_its_name():
    # llamax_cli/<layer>/<module>.py is mirrored by tests/test_<layer>_<module>.py.
    tests = {path.stem for path in (PACKAGE.parent / "tests").glob("test_*.py")}
    missing = [f"tests/test_{name.removeprefix('llamax_cli.').replace('.', '_')}.py"
               for name, path in MODULES.items()
               if path.name not in ("__init__.py", "__main__.py")
               and f"test_{name.removeprefix('llamax_cli.').replace('.', '_')}" not in tests]
    assert missing == []
