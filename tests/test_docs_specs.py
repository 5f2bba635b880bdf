"""README.md, docs/ and the model cards name agents only by specs that goengine-gtp --agent
and goengine-arena both take: every spec written there parses (goengine.agents)."""
import re
from pathlib import Path

import pytest

import gtp.kind  # noqa: F401  (registers the gtp: kind)
from goengine.agents import AGENT_KINDS, parse_agent_spec

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted((ROOT / "goengine" / "weights").glob("*.md"))]
KINDS = "|".join(sorted(k for k in AGENT_KINDS if k != "gtp"))
# a spec in backticks or quotes: [LABEL=]KIND:key=value,... (gtp's command lines are free text)
SPEC = re.compile(rf"(?:(?<=[`'\" ])|^)((?:[A-Za-z0-9_.+-]+=)?(?:{KINDS}):[a-z_]+=[^\s`'\"|)]+)")


def _specs() -> list[tuple[str, str]]:
    found = []
    for path in FILES:
        for match in SPEC.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1).rstrip(".,;")
            if "..." in text or "<" in text:
                continue  # a placeholder, not a spec
            if path.read_text(encoding="utf-8")[:match.start()].endswith("agent spec '"):
                continue  # an error message the docs quote (a typo on purpose)
            found.append((path.name, text))
    return found


SPECS = _specs()


def test_the_docs_name_agents_by_spec():
    assert len(SPECS) > 40  # the tables and commands of README, arena.md, comparison.md, zero.md


@pytest.mark.parametrize("where, text", SPECS, ids=[f"{w}:{t[:40]}" for w, t in SPECS])
def test_every_spec_in_the_docs_parses(where, text):
    parse_agent_spec(text)
