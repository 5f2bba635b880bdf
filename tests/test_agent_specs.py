"""One spec, one agent: goengine-gtp and goengine-arena build the same search from the same
spec, and goengine-gtp's flags are the spec options of the same meaning."""
import pytest

pytest.importorskip("torch")

from goengine.agents import AGENT_KINDS, BACKENDS, ZERO_PLAY_SEARCH, SpecError, parse_agent_spec  # noqa: E402
from gtp.__main__ import build_parser, engine_from_args  # noqa: E402
from selfplay.arena import AgentPool, ArenaConfig, ScheduledGame  # noqa: E402

SPECS = [
    "zero:visits=24",
    "zero:visits=24,lambda=0,c_puct=2,resign=-0.8,backend=torch",
    "zero:seconds=0.5,ramp=off,symmetries=none",
    "lee:visits=16,lambda=1",
    "lee:seconds=1,temperature=1,expansion=4",
    "mcts",
    "mcts:visits=500,rollouts=2,resign=off",
]

# the settings a search is decided by: budget, lambda, ramp, c_puct, resignation, back end, weights
KEYS = ("budget", "mix_lambda", "mix_ramp", "c_puct", "fpu_reduction", "resign_threshold",
        "resign_min_moves", "rollouts_per_leaf", "expansion_threshold", "leaves_per_batch",
        "policy_temperature", "backend", "weights")


def _gtp_agent(*argv):
    engine = engine_from_args(build_parser().parse_args([*argv, "--seed", "1", "--threads", "1"]))
    return engine.agent


def _arena_agent(spec):
    config = ArenaConfig(seed=1, threads=1)
    pool = AgentPool([parse_agent_spec(spec)], config.agent_context())
    return pool.get(parse_agent_spec(spec).label, ScheduledGame("x", "y", 0, "x", "y"))


@pytest.mark.parametrize("spec", SPECS)
def test_gtp_and_arena_build_the_same_search_from_one_spec(spec):
    gtp, arena = _gtp_agent("--agent", spec).settings(), _arena_agent(spec).settings()
    assert gtp == arena
    assert set(KEYS) <= set(gtp)


def test_the_settings_differ_where_the_specs_do():
    # a check that could not fail would pass for any two specs: these two must differ
    one, other = _arena_agent("zero:visits=24").settings(), _arena_agent("zero:visits=24,lambda=0").settings()
    assert one["mix_lambda"] == 1.0 and other["mix_lambda"] == 0.0
    assert {k for k in one if one[k] != other[k]} == {"mix_lambda"}


@pytest.mark.parametrize("flags, spec", [
    (["--agent", "zero", "--visits", "24", "--lambda", "0"], "zero:visits=24,lambda=0"),
    (["--agent", "zero", "--time-per-move", "0.5", "--ramp", "off", "--backend", "torch"],
     "zero:seconds=0.5,ramp=off,backend=torch"),
    (["--agent", "zero", "--visits", "24", "--resign-threshold", "0.1"], "zero:visits=24,resign=-0.8"),
    (["--agent", "lee", "--visits", "16", "--lambda", "1"], "lee:visits=16,lambda=1"),
    (["--agent", "mcts", "--resign-threshold", "off"], "mcts:resign=off"),
])
def test_gtp_flags_are_spec_options(flags, spec):
    assert _gtp_agent(*flags).settings() == _arena_agent(spec).settings()


def test_the_zero_kind_defaults_are_the_shipped_search():
    settings = _arena_agent("zero:visits=8").settings()
    assert (settings["mix_lambda"], settings["mix_ramp"]) == (ZERO_PLAY_SEARCH["mix_lambda"],
                                                              ZERO_PLAY_SEARCH["mix_ramp"]) == (1.0, 0.7)
    assert settings["resign_threshold"] == -0.9 and settings["resign_min_moves"] is None
    assert settings["budget"] == {"visits": 8, "seconds": None, "default_visits": 800}
    assert settings["weights"].endswith("zero-9x9.pt")


def test_a_flag_and_the_spec_setting_one_option_is_refused():
    with pytest.raises(SpecError, match="--visits and the spec's visits= both set visits"):
        _gtp_agent("--agent", "zero:visits=8", "--visits", "16")
    with pytest.raises(SpecError, match="--agent random takes no --visits"):
        _gtp_agent("--agent", "random", "--visits", "16")


def test_one_list_of_backends():
    from goengine.models.backends import BACKENDS as MODEL_BACKENDS
    assert tuple(BACKENDS) == tuple(MODEL_BACKENDS)
    assert AGENT_KINDS["zero"].options["backend"].convert("onnx-int8") == "onnx-int8"
