"""DESIGN.md's layers: goengine imports none of gtp/selfplay/training; nothing imports
training; `import goengine` works without torch or gymnasium."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_RE = re.compile(r"^\s*(?:from|import|cimport)\s+([\w.]+)", re.M)


def _imports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        names = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        return names
    return set(IMPORT_RE.findall(text))  # .pyx / .pxd


def _top(name: str) -> str:
    return name.split(".")[0]


def _files(package: str):
    for ext in ("*.py", "*.pyx", "*.pxd"):
        yield from (ROOT / package).rglob(ext)


def test_goengine_imports_no_upper_layer():
    bad = [(str(p.relative_to(ROOT)), n) for p in _files("goengine") for n in _imports(p)
           if _top(n) in ("gtp", "selfplay", "training")]
    assert not bad, f"goengine must not import the layers above it: {bad}"


def test_nothing_imports_training():
    bad = [(str(p.relative_to(ROOT)), n) for pkg in ("goengine", "gtp", "selfplay")
           for p in _files(pkg) for n in _imports(p) if _top(n) == "training"]
    assert not bad, f"nothing may import training: {bad}"


def test_gtp_imports_no_selfplay():
    bad = [(str(p.relative_to(ROOT)), n) for p in _files("gtp") for n in _imports(p)
           if _top(n) in ("selfplay", "training")]
    assert not bad, f"gtp sits below selfplay: {bad}"


def test_torch_and_gymnasium_only_where_allowed():
    allowed = {"torch": ("goengine/models",), "gymnasium": ("goengine/envs",)}
    bad = []
    for p in _files("goengine"):
        rel = str(p.relative_to(ROOT))
        for n in _imports(p):
            if _top(n) in allowed and not rel.startswith(allowed[_top(n)]):
                bad.append((rel, n))
    assert not bad, f"torch lives under goengine/models, gymnasium under goengine/envs: {bad}"


def test_import_goengine_without_torch_or_gymnasium():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['gymnasium'] = None\n"
        "import goengine, goengine.game, goengine.search, goengine.agents, goengine.sgf, goengine.features\n"
        "from goengine.game import GameState\n"
        "g = GameState(9); g.play(40)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
