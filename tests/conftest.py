"""Shared pytest fixtures.

``board_cls`` runs a test once on each board implementation: the pure-Python reference
(``goengine.board_ref.Board``) and the Cython board (``goengine._board.Board``). The Cython
one is imported when the fixture is used, so a missing build fails those tests (with the
build command in the message) instead of silently skipping them. Build it with
``python setup.py build_ext --inplace``.
"""
from __future__ import annotations

import importlib

import pytest

from goengine.board_ref import Board as RefBoard


def _cython_board_cls():
    try:
        return importlib.import_module("goengine._board").Board
    except ImportError as exc:  # fail loudly, never skip: the fast board is not optional
        pytest.fail(f"goengine._board does not import ({exc}); build it with "
                    f"`python setup.py build_ext --inplace`", pytrace=False)


@pytest.fixture(params=["ref", "cython"])
def board_cls(request):
    """Each board class in turn: ``board_ref.Board`` then ``_board.Board``."""
    return RefBoard if request.param == "ref" else _cython_board_cls()


@pytest.fixture
def ref_board_cls():
    """The pure-Python reference board."""
    return RefBoard


@pytest.fixture
def cython_board_cls():
    """The Cython board (fails, does not skip, when it is not built)."""
    return _cython_board_cls()
