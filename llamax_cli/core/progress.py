"""Progress display on stderr: a rich bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
import time


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class DownloadBar:
    """A tqdm-shaped class for huggingface_hub's `tqdm_class`, drawn with rich.

    huggingface_hub calls it with tqdm's keyword arguments (total, initial, desc, unit, ...),
    then update(n) per chunk, with a negative n when a resumed request restarts.
    """

    def __init__(self, *args, total: int | None = None, initial: int = 0, desc: str = "",
                 disable: bool | None = None, **_kwargs):
        self._progress = None
        if disable or not stderr_is_tty():
            return
        # rich costs ~40-60 ms to import: only when something is drawn
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
            transient=False)
        self._task = self._progress.add_task(desc or "download", total=total, completed=initial)
        self._progress.start()

    def update(self, n: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> DownloadBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class UnitProgress:
    """Units done, tokens/s and ETA for a file, on a terminal's stderr; nothing otherwise."""

    def __init__(self, label: str, total: int, enabled: bool):
        self._progress = None
        self._tokens = 0
        if not enabled or not stderr_is_tty():
            return

        # rich costs ~40-60 ms to import: only when something is drawn
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._clock = time.perf_counter
        self._start = self._clock()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task(label, total=total, rate="")

    def advance(self, tokens: int) -> None:
        if self._progress is None:
            return
        self._tokens += tokens
        rate = self._tokens / max(self._clock() - self._start, 1e-6)
        self._progress.update(self._task, advance=1, rate=f"{rate:.1f} tok/s")

    def __enter__(self) -> "UnitProgress":
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
