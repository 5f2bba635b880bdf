"""Ship the four AlphaGo Lee stages: copy their checkpoints into goengine/weights/ with a
manifest (what `goengine-gtp --agent lee` loads by default) and one model card.

    python -m training.lee.ship --data runs/lee/expert9 --rollout runs/lee/rollout9 \\
        --sl runs/lee/sl9 --rl runs/lee/rl9 --value runs/lee/value9 --name lee-9x9 \\
        [--policy sl] [--strength "..."]

Writes ``<name>-rollout.pt``, ``<name>-sl.pt``, ``<name>-rl.pt``, ``<name>-value.pt``,
``<name>.json`` (the manifest: priors from the SL net by default, as in the paper, where
the SL net made the stronger search) and ``<name>.md``. The card is written from each run
folder's own config.json and metrics.json, so every figure in it can be traced back.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from goengine.models import load, save
from goengine.fileio import atomic_write_bytes

from ..ship import card_tail
from .common import read_json

WEIGHTS = Path(__file__).resolve().parents[2] / "goengine" / "weights"
STAGES = {"rollout": "rollout.pt", "sl": "sl.pt", "rl": "rl.pt", "value": "value.pt"}
KINDS = {"rollout": "rollout", "sl": "policy", "rl": "policy", "value": "value"}


def _pct(x) -> str:
    return f"{x:.1%}" if isinstance(x, (int, float)) else "?"


def _num(x, spec=".3f") -> str:
    return format(x, spec) if isinstance(x, (int, float)) else "?"


def model_card(name: str, runs: dict, data: Path | None, policy: str, strength: list[str]) -> str:
    cfg = {k: read_json(Path(v) / "config.json", {}) for k, v in runs.items()}
    met = {k: read_json(Path(v) / "metrics.json", {}) for k, v in runs.items()}
    expert = read_json(data / "state.json", {}) if data else {}
    expert_cfg = read_json(data / "config.json", {}) if data else {}
    size = load(Path(runs["sl"]) / "sl.pt", kind="policy").config.board_size
    sl_net = load(Path(runs["sl"]) / "sl.pt", kind="policy")
    value_net = load(Path(runs["value"]) / "value.pt", kind="value")
    params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    r, s, l, v = met["rollout"], met["sl"], met["rl"], met["value"]
    lines = [
        f"# {name}: AlphaGo Lee networks for {size}x{size}",
        "",
        "The four training stages of AlphaGo (Silver et al. 2016), trained by `goengine-train` "
        "(training/lee/), and the manifest the Lee agent loads: "
        f"`goengine-gtp --agent lee` plays with `{name}.json` by default ({policy.upper()} policy priors, "
        "value net, rollout policy, λ = 0.5).",
        "",
        "| stage | file | trained on | result |",
        "|---|---|---|---|",
        f"| expert data | (not shipped) | GNU Go 3.8 level {expert_cfg.get('gnugo_level', '?')} against itself, "
        f"0..{expert_cfg.get('opening_moves', '?')} random opening moves, komi {expert_cfg.get('komi', '?')} | "
        f"{expert.get('games', '?')} games, {expert.get('samples', '?')} positions |",
        f"| rollout policy | `{name}-rollout.pt` | {cfg['rollout'].get('steps', '?')} steps of batch "
        f"{cfg['rollout'].get('batch_size', '?')}, lr {cfg['rollout'].get('lr', '?')} | move-prediction accuracy "
        f"held-out **{_pct(r.get('heldout_accuracy'))}** ({r.get('heldout_positions', '?')} positions), "
        f"train {_pct(r.get('train_accuracy'))} (the paper: 24.2% on 19x19) |",
        f"| SL policy | `{name}-sl.pt` | PolicyNet `{cfg['sl'].get('net', '?')}` ({params(sl_net):,} parameters), "
        f"{cfg['sl'].get('steps', '?')} steps of batch {cfg['sl'].get('batch_size', '?')}, 8 symmetries | "
        f"held-out accuracy **{_pct(s.get('heldout_accuracy'))}** ({s.get('heldout_positions', '?')} positions), "
        f"train {_pct(s.get('train_accuracy'))} (the paper: 57.0% on 19x19 KGS) |",
        f"| RL policy | `{name}-rl.pt` | REINFORCE from the SL net, {l.get('iterations', '?')} iterations of "
        f"{cfg['rl'].get('games', '?')} games, a new pool member every {cfg['rl'].get('pool_every', '?')}, "
        f"lr {cfg['rl'].get('lr', '?')} | win rate against the SL net **{_pct(l.get('winrate_vs_sl'))}** over "
        f"{l.get('eval_games', cfg['rl'].get('eval_games', '?'))} games (the paper: 80%) |",
        f"| value net | `{name}-value.pt` | ValueNet `{cfg['value'].get('net', '?')}` ({params(value_net):,} "
        f"parameters), one position from each of {cfg['value'].get('games', '?')} games (SL to U-1, a random "
        f"move at U, RL to the end), {cfg['value'].get('steps', '?')} steps | MSE train "
        f"**{_num(v.get('train_mse'))}**, held-out **{_num(v.get('heldout_mse'))}** "
        f"({v.get('heldout_positions', '?')} positions; the paper: 0.226 / 0.234) |",
        "",
        f"Hardware: {platform.machine()} CPU, 2 cores shared with other work.",
    ]
    return "\n".join(lines + card_tail(strength, "lee", f"{name}.json", "these networks"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.lee.ship", description=__doc__.split("\n\n")[0])
    for stage in STAGES:
        parser.add_argument(f"--{stage}", required=True, help=f"the {stage} stage's run folder")
    parser.add_argument("--data", help="the expert-data folder (for the card)")
    parser.add_argument("--name", default="lee-9x9")
    parser.add_argument("--policy", choices=["sl", "rl"], default="sl", help="the search's prior network")
    parser.add_argument("--strength", action="append", default=[], help="a measured-strength line for the card")
    parser.add_argument("--out", default=str(WEIGHTS), help="destination folder (default goengine/weights/)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    runs = {stage: Path(getattr(args, stage)) for stage in STAGES}
    for stage, folder in runs.items():
        if not (folder / STAGES[stage]).is_file():
            print(f"{folder}: no {STAGES[stage]} (is it the {stage} stage's run folder?)", file=sys.stderr)
            return 2
    out.mkdir(parents=True, exist_ok=True)
    for stage, folder in runs.items():
        model = load(folder / STAGES[stage], kind=KINDS[stage])
        target = out / f"{args.name}-{stage}.pt"
        save(model, target, {**getattr(model, "meta", {}), "shipped_from": str(folder / STAGES[stage])})
        print(f"shipped {folder / STAGES[stage]} -> {target} ({target.stat().st_size:,} bytes)")
    manifest = {"policy": f"{args.name}-{args.policy}.pt", "value": f"{args.name}-value.pt",
                "rollout": f"{args.name}-rollout.pt"}
    atomic_write_bytes(out / f"{args.name}.json", (json.dumps(manifest, indent=2) + "\n").encode(), make_parents=True)
    card = model_card(args.name, runs, Path(args.data) if args.data else None, args.policy, args.strength)
    atomic_write_bytes(out / f"{args.name}.md", card.encode(), make_parents=True)
    print(f"manifest {out / (args.name + '.json')}, card {out / (args.name + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
