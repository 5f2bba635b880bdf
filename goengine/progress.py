"""The one progress bar: tqdm when shown, a silent stand-in when not (``--quiet``, tests)."""
from __future__ import annotations

__all__ = ["progress_bar", "NoBar"]


class NoBar:
    """tqdm's interface, doing nothing."""

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


def progress_bar(total: int, desc: str, enabled: bool = True, initial: int = 0, **options):
    """A tqdm bar of ``total`` steps (``initial`` already done), or a NoBar when not
    ``enabled``; ``options`` go to tqdm (``unit="game"``)."""
    if not enabled:
        return NoBar()
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, initial=initial, leave=False, dynamic_ncols=True, **options)
