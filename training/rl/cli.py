"""``goengine-rl``: train or solve one environment with one method, then evaluate greedily.

    goengine-rl qlearning --env CliffWalking-v1 --episodes 500 --seed 1 --plot out.png
    goengine-rl value-iteration --env FrozenLake-v1 --gamma 0.99
    goengine-rl dqn --env CartPole-v1 --total-steps 100000 --out runs/dqn-cartpole
    goengine-rl reinforce --env goengine/Go5x5-v0 --env-kwargs '{"agent_color": "random"}' \
        --total-steps 600000
    goengine-rl qlearning --help          # every config field, with its docstring

Each config field is a flag (``--field-name``); ``--help`` after a method lists them with
their docstrings. Some (method, environment) pairs start from a preset of settings known to
work (printed at the start; ``--no-preset`` turns it off); flags given explicitly win. The
last line printed is the greedy policy's evaluation return.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import json
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import Any, Sequence

__all__ = ["main", "build_parser", "METHODS", "PRESETS", "field_docs"]

# method name -> (module, config class, train function); DP methods have no train function
METHODS: dict[str, tuple[str, str, str | None]] = {
    "policy-evaluation": ("dp", "DPConfig", None),
    "value-iteration": ("dp", "DPConfig", None),
    "policy-iteration": ("dp", "DPConfig", None),
    "qlearning": ("tabular", "QLearningConfig", "train_qlearning"),
    "sarsa": ("tabular", "SarsaConfig", "train_sarsa"),
    "dqn": ("dqn", "DQNConfig", "train_dqn"),
    "reinforce": ("reinforce", "ReinforceConfig", "train_reinforce"),
    "a2c": ("actor_critic", "A2CConfig", "train_a2c"),
}
HELP = {
    "policy-evaluation": "V and Q of the uniform random policy on known dynamics",
    "value-iteration": "V*, Q* and a greedy policy on known dynamics",
    "policy-iteration": "evaluate, improve greedily, repeat, on known dynamics",
    "qlearning": "tabular Q-learning (off-policy TD control)",
    "sarsa": "tabular SARSA or expected SARSA (on-policy TD control)",
    "dqn": "deep Q-network: replay, target network, double DQN",
    "reinforce": "Monte-Carlo policy gradient with a learned baseline",
    "a2c": "advantage actor-critic with GAE over parallel copies",
}
ALIASES = {"q-learning": "qlearning", "actor-critic": "a2c", "vi": "value-iteration",
           "pi": "policy-iteration"}
DEFAULT_ENVS = {"dqn": "CartPole-v1", "reinforce": "CartPole-v1", "a2c": "CartPole-v1",
                "policy-evaluation": "FrozenLake-v1", "value-iteration": "FrozenLake-v1",
                "policy-iteration": "FrozenLake-v1"}

_FROZEN = dict(episodes=5000, alpha=0.1, alpha_end=0.01, gamma=0.99, epsilon=1.0,
               epsilon_end=0.05, epsilon_decay_fraction=0.5)
_TAXI = dict(episodes=2000, gamma=0.99)
_GO5_REINFORCE = dict(total_steps=300_000, hidden_sizes=(128, 128), gamma=1.0,
                      episodes_per_update=32, num_envs=16, entropy_coef=0.01,
                      entropy_coef_end=0.0, augment_symmetries=True, eval_interval=25_000,
                      eval_episodes=100)
_GO5_A2C = dict(total_steps=400_000, hidden_sizes=(128, 128), gamma=1.0, eval_interval=50_000,
                eval_episodes=100)
PRESETS: dict[tuple[str, str], dict[str, Any]] = {
    ("qlearning", "FrozenLake-v1"): _FROZEN,
    ("sarsa", "FrozenLake-v1"): _FROZEN,
    ("qlearning", "Taxi-v4"): _TAXI,
    ("sarsa", "Taxi-v4"): _TAXI,
    ("reinforce", "goengine/Go5x5-v0"): _GO5_REINFORCE,
    ("a2c", "goengine/Go5x5-v0"): _GO5_A2C,
}
"""Settings that work for some (method, environment) pairs; flags override them."""


# --------------------------------------------------------------------------- dataclass flags

def field_docs(cls: type) -> dict[str, str]:
    """``{field: docstring}`` from the string literal under each field of a dataclass (and
    of its dataclass bases), the cleanrl ``Args`` convention."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _optional(convert):
    def parse(text: str):
        return None if text.strip().lower() == "none" else convert(text)

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


def _add_config_flags(parser: argparse.ArgumentParser, cls: type) -> None:
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    group = parser.add_argument_group(f"{cls.__name__} (defaults shown before any preset)")
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        help_text = f"{docs.get(f.name, '')} (default: {default})"
        kwargs: dict[str, Any] = dict(dest=f.name, default=argparse.SUPPRESS, help=help_text)
        args = typing.get_args(tp)
        optional = (typing.get_origin(tp) in (typing.Union, types.UnionType)
                    and type(None) in args)
        base = next((a for a in args if a is not type(None)), tp) if optional else tp
        if base is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif typing.get_origin(base) is tuple:
            group.add_argument(flag, nargs="+", type=typing.get_args(base)[0],
                               metavar="N", **kwargs)
        else:
            convert = _optional(base) if optional else base
            group.add_argument(flag, type=convert, metavar=base.__name__.upper(), **kwargs)


# --------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goengine-rl",
        description="Train or solve one environment with one method, then evaluate the "
                    "greedy policy.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="methods: " + ", ".join(METHODS) + "; run `goengine-rl METHOD --help` "
               "for a method's settings")
    sub = parser.add_subparsers(dest="method", required=True, metavar="METHOD")
    import importlib

    for name, (module, cls_name, _) in METHODS.items():
        aliases = [a for a, target in ALIASES.items() if target == name]
        p = sub.add_parser(name, aliases=aliases, help=HELP[name], description=HELP[name],
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        p.add_argument("--env", default=DEFAULT_ENVS.get(name, "CliffWalking-v1"),
                       help="gymnasium environment id (goengine/... ids register the Go envs)")
        p.add_argument("--env-kwargs", default="{}", type=json.loads,
                       help="JSON object of keyword arguments for gym.make")
        p.add_argument("--seed", type=int, default=0, help="seed of the run")
        p.add_argument("--final-eval-episodes", type=int, default=100,
                       help="episodes of the greedy evaluation at the end")
        p.add_argument("--final-eval-max-steps", type=int, default=1000,
                       help="cap on the steps of one evaluation episode")
        p.add_argument("--csv", type=Path, help="save the learning curve as CSV here")
        p.add_argument("--plot", type=Path, help="save the learning curve as a PNG here")
        p.add_argument("--out", type=Path,
                       help="run folder: config.json, curve.csv/png, model, eval.json")
        p.add_argument("--no-preset", action="store_true",
                       help="ignore the preset settings for this method and environment")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument("--threads", type=int, default=1,
                       help="torch CPU threads (small networks run fastest on one)")
        cls = getattr(importlib.import_module(f"training.rl.{module}"), cls_name)
        _add_config_flags(p, cls)
    return parser


def _resolve(args: argparse.Namespace) -> tuple[str, Any, dict[str, Any]]:
    import importlib

    method = ALIASES.get(args.method, args.method)
    module, cls_name, _ = METHODS[method]
    cls = getattr(importlib.import_module(f"training.rl.{module}"), cls_name)
    preset = {} if args.no_preset else dict(PRESETS.get((method, args.env), {}))
    names = {f.name for f in dataclasses.fields(cls)}
    explicit = {k: v for k, v in vars(args).items() if k in names}
    for key, value in explicit.items():
        if isinstance(value, list):
            explicit[key] = tuple(value)
    config = cls(**{**preset, **explicit})
    return method, config, preset


# --------------------------------------------------------------------------- running

def _grid_shape(env) -> tuple[int, int] | None:
    base = env.unwrapped
    if hasattr(base, "nrow") and hasattr(base, "ncol"):
        return int(base.nrow), int(base.ncol)
    shape = getattr(base, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2:
        return shape
    return None


def _run_dp(method: str, config, env, out) -> tuple[Any, dict]:
    import numpy as np

    from . import dp

    mdp = dp.TabularMDP.from_env(env)
    if method == "policy-evaluation":
        res = dp.policy_evaluation(mdp, dp.uniform_policy(mdp), config.gamma, config.theta)
        print(f"V of the uniform random policy ({res.sweeps} sweeps); the policy evaluated "
              f"at the end is greedy in its Q (one step of policy improvement):", file=out)
    elif method == "value-iteration":
        res = dp.value_iteration(mdp, config.gamma, config.theta)
        print(f"V* by value iteration ({res.sweeps} sweeps):", file=out)
    else:
        res = dp.policy_iteration(mdp, config.gamma, config.theta)
        print(f"V* by policy iteration ({res.sweeps} improvement steps):", file=out)
    shape = _grid_shape(env)
    with np.printoptions(precision=3, suppress=True, linewidth=120):
        print(res.V.reshape(shape) if shape and np.prod(shape) == len(res.V) else res.V,
              file=out)
    start, _ = env.reset(seed=0)
    print(f"V(start state {start}) = {res.V[int(start)]:.6f}", file=out)
    return res, {"V_start": float(res.V[int(start)]), "sweeps": res.sweeps}


def main(argv: Sequence[str] | None = None, out=None) -> int:
    """Entry point of ``goengine-rl``; returns the exit status."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    method, config, preset = _resolve(args)
    _, _, train_name = METHODS[method]

    import importlib

    from .common import atomic_write, config_to_dict, evaluate, make_env

    try:
        env = make_env(args.env, **args.env_kwargs)
    except Exception as exc:  # unknown id, bad kwargs: say which and stop
        parser.error(f"cannot make environment {args.env!r} with {args.env_kwargs}: {exc}")
    if preset:
        print(f"preset for {method} on {args.env}: {preset} (--no-preset to ignore)", file=out)
    print(f"{method} on {args.env}, seed {args.seed}: {config}", file=out)

    summary: dict[str, Any] = {"method": method, "env": args.env,
                               "env_kwargs": args.env_kwargs, "seed": args.seed,
                               "config": config_to_dict(config)}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write(args.out / "config.json",
                     lambda tmp: Path(tmp).write_text(json.dumps(summary, indent=2) + "\n"))

    result = None
    if train_name is None:
        res, extra = _run_dp(method, config, env, out)
        summary.update(extra)
        policy = res.act
        if args.out:
            import numpy as np

            atomic_write(args.out / "values.npz",
                         lambda tmp: np.savez(open(tmp, "wb"), V=res.V, Q=res.Q,
                                              policy=res.policy))
    else:
        if method in ("dqn", "reinforce", "a2c"):
            import torch

            torch.set_num_threads(max(1, args.threads))
        train = getattr(importlib.import_module(f"training.rl.{METHODS[method][0]}"), train_name)
        result = train(env, config, seed=args.seed, progress=not args.no_progress)
        policy = result.policy
        curve = result.curve
        note = " (interrupted)" if curve.interrupted else ""
        print(f"trained{note}: {curve.episodes} episodes, {curve.total_steps} steps; "
              f"mean return of the last 100 training episodes {curve.mean_return():.3f}",
              file=out)
        summary.update(train_episodes=curve.episodes, train_steps=curve.total_steps,
                       train_mean_return_last100=curve.mean_return())
        if args.csv:
            print(f"curve written to {curve.save_csv(args.csv)}", file=out)
        if args.plot:
            print(f"plot written to {curve.plot(args.plot)}", file=out)
        if args.out:
            curve.save_csv(args.out / "curve.csv")
            curve.plot(args.out / "curve.png")
            if result.q is not None:
                import numpy as np

                atomic_write(args.out / "q.npy", lambda tmp: np.save(open(tmp, "wb"), result.q))
            if result.model is not None:
                import torch

                atomic_write(args.out / "model.pt",
                             lambda tmp: torch.save({"state_dict": result.model.state_dict(),
                                                     **summary}, tmp))

    eval_env = make_env(args.env, **args.env_kwargs)
    ev = evaluate(eval_env, policy, episodes=args.final_eval_episodes, seed=10_000 + args.seed,
                  max_steps=args.final_eval_max_steps)
    summary.update(eval_mean_return=ev.mean, eval_std=ev.std,
                   eval_episodes=args.final_eval_episodes,
                   eval_success_rate=ev.success_rate)
    if args.out:
        atomic_write(args.out / "eval.json",
                     lambda tmp: Path(tmp).write_text(json.dumps(summary, indent=2) + "\n"))
    wins = f"; positive return (goal, win) in {ev.success_rate:.1%}" if ev.success_rate else ""
    print(f"greedy policy: {ev}{wins}", file=out)
    print(f"greedy evaluation return: {ev.mean:.3f}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
