"""AlphaGo (2016, "Lee") training recipe, one module per stage, joined only by files:

    expert.py   SGF collections and GNU Go self-play games -> expert shards (data.py's format)
    rollout.py  the fast rollout policy (linear softmax over pattern features) on expert moves
    sl.py       the SL policy network (PolicyNet on lee48, 8 symmetries) on expert moves
    rl.py       the RL policy network: REINFORCE from the SL weights against a pool of earlier selves
    value.py    the value network: one position per self-play game, regression on the outcome
    common.py   run folders: config.json, progress checkpoints, atomic JSON, progress bars

Every stage is a ``goengine-train`` subcommand (training/__main__.py) whose run folder it can
resume from; goengine.agents.lee_agent plays with the resulting checkpoints.
"""
