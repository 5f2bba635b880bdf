"""A run folder's identity: the rules it was played under and each label's agent (spec and weights)."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from goengine.fileio import atomic_write_bytes
from goengine.agents import AGENT_KINDS, AgentSpec, agent_digests

from ..errors import ArenaError
from .config import CONFIG_FILE, ArenaConfig, _now, _slug


def default_out_dir(labels: Sequence[str], config: ArenaConfig, root: str = "runs/arena") -> Path:
    """A folder named after the agents and rules, so that the same command resumes."""
    key = json.dumps([list(labels), config.folder_rules()], sort_keys=True)
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    name = "_vs_".join(_slug(label, 20) for label in labels)[:80]
    return Path(root) / f"{name}-{digest}"


def _unique_labels(specs: list[AgentSpec]) -> list[AgentSpec]:
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        count = seen.get(spec.label, 0) + 1
        seen[spec.label] = count
        if count > 1:
            spec = AgentSpec(spec.text, f"{spec.label}#{count}", spec.kind, spec.options,
                             spec.argument)
        out.append(spec)
    return out


def prepare_folder(out: str | os.PathLike, config: ArenaConfig, specs: Sequence[AgentSpec]) -> Path:
    """Refuse a folder played under other rules (size, komi, superko, move cap), or one
    where a label of ``specs`` played as another agent: another spec, or the same spec
    loading other weights (``zero:seconds=1`` once the shipped network is replaced).
    Record this run's configuration and each agent's identity (its spec and the sha256 of
    its weights files) in arena.json; the agents seen accumulate. Returns the folder."""
    out = Path(out)
    path = out / CONFIG_FILE
    rules = config.folder_rules()
    identities = {spec.label: agent_identity(spec) for spec in specs}
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ArenaError(f"{path} is not valid JSON ({exc})") from None
        old = saved.get("rules", {})
        differ = [f"{k} {old.get(k)!r} (now {rules.get(k)!r})"
                  for k in dict.fromkeys([*rules, *old]) if old.get(k) != rules.get(k)]
        if differ:
            raise ArenaError(f"{out} holds games played with " + ", ".join(differ)
                             + "; use another --out folder")
        known = saved.get("identities", {})  # folders written before identities: none known
        for label, now in identities.items():
            if label in known:
                _same_agent(out, label, known[label], now)
        identities = {**known, **identities}
        agents = list(dict.fromkeys(saved.get("agents", []) + list(identities)))
    else:
        agents = list(identities)
    payload = {"rules": rules, "agents": agents, "identities": identities,
               "config": config.to_json(), "command": sys.argv, "updated": _now()}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(payload, indent=2, default=str) + "\n").encode("utf-8"))
    return out


def agent_identity(spec: AgentSpec, weights: bool = True) -> dict:
    """What makes two runs' agents under one label the same: the kind, its options (in
    any order) or command line, and the content of the weights it loads. A network
    kind's ``weights=`` path is left out of the options: the file's sha256 stands for it,
    so a moved copy is the same agent and a replaced file is not."""
    hashed = getattr(AGENT_KINDS.get(spec.kind), "files", None) is not None
    options = sorted([k, v] for k, v in spec.options if not (hashed and k == "weights"))
    identity = {"spec": spec.text, "kind": spec.kind, "options": options, "argument": spec.argument}
    if weights:
        identity["weights"] = agent_digests(spec)
    return identity


def spec_key(identity: dict) -> str:
    """The part of an ``agent_identity`` that the spec decides (kind, options, command
    line), as text comparable between an identity read back from JSON and a fresh one."""
    return json.dumps([identity.get(k) for k in ("kind", "options", "argument")], default=str)


def _same_agent(out: Path, label: str, before: dict, now: dict) -> None:
    if spec_key(before) != spec_key(now):
        raise ArenaError(f"{out}: agent {label!r} played its games there as another spec "
                         f"({before.get('spec')!r}, now {now.get('spec')!r}): give it another "
                         f"label or use another --out folder")
    old_weights, new_weights = before.get("weights") or {}, now.get("weights") or {}
    if sorted(old_weights.values()) != sorted(new_weights.values()):
        def show(weights: dict) -> str:
            return ", ".join(f"{p} (sha256 {d[:12]})" for p, d in weights.items()) or "none"
        raise ArenaError(f"{out}: agent {label!r} played its games there with the weights "
                         f"{show(old_weights)}; it would now load {show(new_weights)}, another "
                         f"network: give it another label (or name weights=) or use another "
                         f"--out folder")
