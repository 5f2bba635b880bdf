"""Ship a run's best network: copy it into goengine/weights/ with a model card.

    python -m training.ship --run runs/zero9 --name zero-9x9 [--strength "..."]

The card is written from the run folder's own records (config.json, state.json,
stats.jsonl, train_log.csv), so every figure in it can be traced back; measured strength is
added with --strength (the arena command and its result).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from goengine.fileio import atomic_write_bytes
from goengine.models import load, save

WEIGHTS = Path(__file__).resolve().parents[1] / "goengine" / "weights"


def model_card(run: Path, name: str, strength: list[str], generation: int | None = None) -> str:
    """The card of promoted `generation` of the run (default: its best)."""
    config = json.loads((run / "config.json").read_text())
    state = json.loads((run / "state.json").read_text())
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines() if line.strip()]
    selfplay = [s for s in stats if s["stage"] == "selfplay"]
    best_gen = state["best_generation"] if generation is None else generation
    model = load(checkpoint(run, state, generation), kind="zero")
    meta = getattr(model, "meta", {})
    params = sum(p.numel() for p in model.parameters())
    from selfplay.records import list_shards, read_shard
    per_gen = {}
    for shard in list_shards(run / "selfplay"):
        g = int(shard.parent.name.split("_")[1])
        per_gen[g] = per_gen.get(g, 0) + int(np.unique(read_shard(shard)["game"]).size)
    games = sum(per_gen.values())
    games_to_best = sum(n for g, n in per_gen.items() if g < best_gen)
    seconds = sum(s.get("seconds", 0) for s in selfplay)
    stage_hours = {stage: sum(s.get("seconds", 0) for s in stats if s["stage"] == stage) / 3600
                   for stage in ("train", "gating")}
    timed = len({s["generation"] for s in stats if s["stage"] == "train"})
    sp = dict(config["selfplay"])
    search = sp.get("search") or {}  # config.json before the self-play config held its search: flat
    sp.setdefault("simulations", search.get("num_simulations"))
    sp.setdefault("dirichlet_epsilon", search.get("dirichlet_epsilon"))
    promoted = [h for h in state["history"] if h["promoted"]]
    gated = config.get("gating", True)
    lines = [
        f"# {name}: AlphaGo Zero network for {config['size']}x{config['size']}",
        "",
        f"- **Recipe**: preset `{config.get('preset', '?')}` of AlphaGo Zero self-play (goengine "
        f"`training/zero.py`), no human or GNU Go data.",
        f"- **Network**: ZeroNet preset `{config['net']}` ({model.config.blocks} residual blocks x "
        f"{model.config.filters} filters, {params:,} parameters), input `{model.config.feature_set}`, "
        + ("KataGo's pooled heads (ownership, score and opponent-reply outputs; any board size)."
           if model.config.head == "pooled" else "AlphaGo Zero's heads."),
        f"- **Generation**: {best_gen} ("
        + ("the run's starting network" if best_gen == 0
           else "promoted by gating" if config.get("gating", True) else "every candidate promoted, no gating")
        + ("" if best_gen == state["best_generation"] else f"; the run's best is generation {state['best_generation']}")
        + f") of {state['generation']} trained; "
        f"{games_to_best:,} self-play games before it, {meta.get('steps', '?')} SGD steps per generation "
        f"of batch {config['batch_size']}.",
        f"- **Self-play**: {sp['simulations']} simulations per move, {sp['parallel_games']} games at once, "
        f"Dirichlet noise eps {sp['dirichlet_epsilon']}, resignation below "
        + (f"an automatic threshold keeping false resignations under {config['resign_target']:.0%} "
           f"(from {sp['resign_threshold']} to {selfplay[-1].get('resign_threshold', sp['resign_threshold'])}) "
           if config.setdefault("resign_target", 0.05) is not None and selfplay else f"{sp['resign_threshold']} ")
        + f"({sp['resign_playthrough']:.0%} of games played through), komi {config['komi']}.",
        f"- **Training**: replay window {config['window_samples']:,} samples, SGD momentum {config['momentum']}, "
        f"lr {config['learning_rate']} with drops at {config['lr_drops']} of the run, L2 {config['weight_decay']}; "
        + (f"gating {config['gating_games']} games at {config['gating_simulations']} simulations, promotion at "
           f"{config['gating_threshold']:.0%}." if gated else "no gating: each candidate played the next generation."),
        f"- **Compute**: {games:,} self-play games so far; logged wall time {seconds / 3600:.2f} h of self-play"
        + (f", {stage_hours['train']:.2f} h of training and {stage_hours['gating']:.2f} h of gating"
           + (f" (these two logged for {timed} of {state['generation']} generations)"
              if timed < state["generation"] else "") if timed else "")
        + f", on {platform.machine()} CPU (2 cores shared with other work), torch {torch.__version__}.",
        *([f"- **Started from**: generation 0 of this run is `{Path(config['initial_weights']).name}` "
            f"({meta_note(run)}), not a random network."] if config.get("initial_weights") else []),
        *([f"- **Replay window seeded** with {seed_note(run)} of `{config['window_seed']}`, "
            f"pushed out by this run's games as they came."] if config.get("window_seed") else []),
        *(["- **Promotions**: " + (", ".join(f"gen {h['generation']} ({h['winrate_vs_best']:.0%} vs gen "
                                             f"{h['previous_best']})" for h in promoted) or "none"),
            f"- **Elo chain** (gating results, generation 0 = "
            f"{'the starting network' if config.get('initial_weights') else 'random init'} = 0): "
            + ", ".join(f"gen {k}: {v:+.0f}" for k, v in state["elo"].items())] if gated else []),
        *([anchor_note(state["anchor"])] if state.get("anchor") else []),
    ]
    return "\n".join(lines + card_tail(strength, "zero", f"{name}.pt", "this network"))


def anchor_note(records: dict) -> str:
    """The run's anchor checks (training/anchor.py), one per network played."""
    played = [r for _, r in sorted(records.items(), key=lambda kv: int(kv[0])) if "same_as" not in r]
    if len({(r["visits"], r["opponent"]) for r in played}) == 1:
        head, each = (f" (the best network at {played[0]['visits']} visits per move vs "
                      f"`{played[0]['opponent']}`)"), lambda r: ""
    else:
        head, each = "", lambda r: f" at {r['visits']} visits vs `{r['opponent']}`"
    return (f"- **Anchor checks**{head}: "
            + ", ".join(f"gen {r['network']} {r['wins']}/{r['games']}{each(r)} (after generation "
                        f"{r['generation']})" for r in played))


def card_tail(strength: list[str], agent: str, weights: str, what: str) -> list[str]:
    """The end of a model card: the measured-strength lines and how to play with the
    shipped `weights` (a file in goengine/weights/) as `goengine-gtp --agent AGENT`."""
    return (["", "## Measured strength", ""] + ([f"- {s}" for s in strength] or ["- not measured yet"])
            + ["", "## Use", "", "```bash", f"{'goengine-gtp --agent ' + agent:<37}# {what} by default",
               f"goengine-gtp --agent {agent} --weights goengine/weights/{weights} --visits 800", "```", ""])


def meta_note(run: Path) -> str:
    """What generation 0's starting network had behind it (its checkpoint meta)."""
    meta = load(run / "models" / "gen_0000.pt", kind="zero").meta.get("initial_meta", {})
    parts = [f"{k} {meta[k]}" for k in ("generation", "games", "steps") if k in meta]
    return ", ".join(parts) or "no training record"


def checkpoint(run: Path, state: dict, generation: int | None) -> Path:
    """The run's checkpoint of promoted `generation` (None: its best)."""
    return run / (state["best"] if generation is None else f"models/gen_{generation:04d}.pt")


def seed_note(run: Path) -> str:
    """How many games and samples the run's window_seed/ shards hold."""
    from selfplay.records import list_shards, read_shard
    shards = [read_shard(p) for p in list_shards(run / "window_seed")]
    games = sum(int(np.unique(s["game"]).size) for s in shards)
    return f"{games:,} games ({sum(s['z'].shape[0] for s in shards):,} samples)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a goengine-train zero run folder")
    parser.add_argument("--name", default="zero-9x9", help="file name (without .pt) in goengine/weights/")
    parser.add_argument("--strength", action="append", default=[], help="a measured-strength line for the card")
    parser.add_argument("--generation", type=int, help="ship this promoted generation instead of the best")
    args = parser.parse_args(argv)
    run = Path(args.run)
    if not (run / "state.json").exists():
        print(f"{run}: not a run folder (no state.json)", file=sys.stderr)
        return 2
    state = json.loads((run / "state.json").read_text())
    source = checkpoint(run, state, args.generation)
    if not source.exists():
        print(f"{run}: generation {args.generation} was not promoted (no {source.name})", file=sys.stderr)
        return 2
    model = load(source, kind="zero")
    WEIGHTS.mkdir(exist_ok=True)
    save(model, WEIGHTS / f"{args.name}.pt", {**getattr(model, "meta", {}), "shipped_from": str(source.name)})
    card = model_card(run, args.name, args.strength, args.generation)
    atomic_write_bytes(WEIGHTS / f"{args.name}.md", card.encode("utf-8"))
    print(f"shipped {source} -> {WEIGHTS / (args.name + '.pt')} ({(WEIGHTS / (args.name + '.pt')).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
