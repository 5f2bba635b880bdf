"""Anchor checks: the best network of a Zero run measured against a fixed opponent every few
generations, beside the gating matches that only compare it with the network before.

Gating climbs a chain of relative results; it can keep climbing while strength against
anything outside the run falls (the fifth 9x9 run's chain read +2,800 Elo while its best
network's score against GNU Go dropped from 46% to 25%). A fixed opponent, such as GNU Go at
a low level, gives numbers that stay comparable along the run and between runs:

    goengine-train zero --run runs/zero9 --preset 9x9 \\
        --anchor "gtp:gnugo --mode gtp --level 1 --chinese-rules --positional-superko" \\
        --anchor-every 10 --anchor-games 20 --anchor-visits 400

Each check is an ordinary goengine-arena folder (``<run>/anchor/gen_NNNN``, resumable like
any match), played by the run's best network at a fixed number of visits per move, and its
score goes to state.json (``anchor``) and stats.jsonl. A best network already checked is not
played again. The anchor settings are runtime options: give them again when resuming.
"""
from __future__ import annotations

import time
from pathlib import Path


def anchor_folder(run, g: int) -> Path:
    return run.folder / "anchor" / f"gen_{g:04d}"


def due(run, g: int) -> bool:
    """Whether generation g's best network is to be checked: an anchor is set, g is a
    multiple of anchor_every (generation 0 included) and the check is not recorded yet."""
    cfg = run.config
    return bool(cfg.anchor) and g % cfg.anchor_every == 0 and str(g) not in run.state.get("anchor", {})


def check(run, g: int) -> dict:
    """Play (or finish playing) generation g's anchor match and record it in run.state."""
    from selfplay.arena import ArenaConfig, run_arena

    cfg = run.config
    best_gen = run.state["best_generation"]
    records = run.state.setdefault("anchor", {})
    earlier = [r for r in records.values() if r["network"] == best_gen and r["opponent"] == cfg.anchor
               and r["visits"] == cfg.anchor_visits]
    if earlier:
        record = {**earlier[-1], "same_as": earlier[-1].get("same_as", earlier[-1]["generation"]),
                  "generation": g}
    else:
        label = f"gen{best_gen}"
        # the network's own search (lambda=0): what training changes, without rollouts
        weights = (run.folder / run.state["best"]).resolve()
        spec = f"{label}=zero:weights={weights},visits={cfg.anchor_visits},lambda=0"
        run.log(f"[gen {g}] anchor check: generation {best_gen} vs {cfg.anchor}, {cfg.anchor_games} games")
        start = time.monotonic()
        summary = run_arena([spec, f"anchor={cfg.anchor}"], anchor_folder(run, g),
                            ArenaConfig(size=cfg.size, komi=cfg.komi, games=cfg.anchor_games,
                                        seed=cfg.seed * 97 + g, threads=max(1, cfg.threads)),
                            progress=False)
        (pair,) = summary["pairings"]
        wins = pair["a_wins_black"] + pair["a_wins_white"]
        record = {"generation": g, "network": best_gen, "opponent": cfg.anchor, "visits": cfg.anchor_visits,
                  "games": pair["games"], "wins": wins, "score": round(wins / pair["games"], 4),
                  "wins_black": pair["a_wins_black"], "wins_white": pair["a_wins_white"]}
        run._append_stats(g, "anchor", {"games": pair["games"], "wins": wins,
                                        "seconds": round(time.monotonic() - start, 1)})
    records[str(g)] = record
    run._save_state()
    run.log(f"[gen {g}] anchor: generation {best_gen} won {record['wins']}/{record['games']} "
            f"({record['score']:.0%}) against {cfg.anchor}")
    return record
