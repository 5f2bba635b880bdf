"""No import cycles among the modules of goengine, gtp, selfplay and training, counting the
imports inside functions (a cycle hidden in a function is still a cycle: each module then
needs the other to be understood, tested or moved)."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("goengine", "gtp", "selfplay", "training")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict:
    """{module name: path} of every .py and .pyx module of the four packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py*")):
            if path.suffix in (".py", ".pyx"):
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, modules: dict) -> set:
    """The modules of the four packages that `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    text = path.read_text()
    if path.suffix == ".pyx":  # Cython: only its Python import statements, one per line
        lines = [m.group(1) for m in re.finditer(r"^\s*((?:from\s+\.*[\w.]*\s+import\s+[\w, ]+)|"
                                                 r"(?:import\s+[\w., ]+))\s*$", text, re.M)]
        text = "\n".join(lines)
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from X import Y`: Y may be a submodule of X, else it is a name in X
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _cycles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_analysis_sees_imports_inside_functions():
    modules = _modules()
    # goengine/agents/kinds.py imports its builders only inside the factories
    assert "goengine.agents.builders" in _imports("goengine.agents.kinds", modules["goengine.agents.kinds"], modules)
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) & set(modules) for name, path in modules.items()}
    # a package's __init__ that re-exports its modules is not a cycle with them: a module
    # importing a name from its own package's __init__ is
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
