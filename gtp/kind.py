"""The ``gtp:`` agent kind: any external GTP engine as a subprocess (``gtp.client.GtpAgent``).

Registered here, in the GTP package, so that imports flow one way (selfplay -> gtp ->
goengine): importing ``gtp`` adds the kind to goengine.agents' registry.
"""
from __future__ import annotations

import os
import shlex
import shutil

from goengine.agents import register_agent_kind

__all__ = ["resolve_program"]


def resolve_program(argument: str) -> list[str]:
    """The argv of a gtp spec with its program found (``gnugo`` also in /usr/games)."""
    from .client import find_gnugo
    argv = shlex.split(argument)
    program = argv[0]
    if os.sep not in program and shutil.which(program) is None:
        found = find_gnugo() if program == "gnugo" else None
        if found is None:
            raise ValueError(f"program {program!r} not found on PATH")
        argv[0] = found
    elif os.sep in program and not os.access(program, os.X_OK):
        raise ValueError(f"program {program!r} does not exist or is not executable")
    return argv


@register_agent_kind("gtp", raw=True, reusable=True,
                     help="an external GTP engine run as a subprocess (GtpAgent); 'gnugo' is "
                          "found in /usr/games when it is not on PATH",
                     example="gtp:gnugo --mode gtp --level 10",
                     check=lambda options: resolve_program(options["argument"]))
def _gtp_agent(options, context, stream):
    from .client import GtpAgent
    return GtpAgent(resolve_program(options["argument"]), size=context.size,
                    komi=context.komi, timeout=context.gtp_timeout,
                    genmove_timeout=context.genmove_timeout)
