"""Signals end a run as an exception, so every ``with`` block unwinds first."""

from __future__ import annotations

import signal


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM/SIGHUP/SIGINT arrives, so every ``with`` block
    unwinds (unfinished temporary outputs are removed) before annotkit exits."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.advice = "run the command again"  # a stage that can do better replaces it


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> None:
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            if signal.getsignal(signum) is signal.SIG_IGN:
                continue  # `nohup`, a background job's SIGINT: keep ignoring it
            signal.signal(signum, _terminate)
        except (OSError, ValueError):  # not the main thread, or not allowed here
            continue
