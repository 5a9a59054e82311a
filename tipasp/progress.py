"""Progress on standard error: what a long run is doing, and for how long.

A run of tipasp on a large spec spends tens of seconds in clingo's grounding or in
a search, with nothing to show. The stages report what they start (`phase`); a
watcher thread writes the current phase and its running time once the run has
taken longer than a short delay, so that quick runs print nothing. On a terminal
the line is rewritten in place and erased at the end; otherwise (`--progress on`
into a file or pipe) each phase that is shown gets one line, stamped with the
time since the start.

clingo's calls release the interpreter lock, so the watcher runs while clingo
grounds or solves.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

DELAY = 2.0  # seconds before anything is shown
TICK = 0.5  # seconds between updates


class Progress:
    """Shows the current phase of one run on a stream (see the module docstring)."""

    def __init__(self, stream: TextIO, delay: float = DELAY, tick: float = TICK) -> None:
        self.stream = stream
        self.delay = delay
        self.tick = tick
        self.tty = stream.isatty()
        self._text = "starting"
        self._since = self._start = time.monotonic()
        self._shown: str | None = None  # the phase last written (line mode)
        self._dirty = False  # a rewritable line is on the terminal
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="tipasp-progress",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def phase(self, text: str) -> None:
        with self._lock:
            self._text = text
            self._since = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self._dirty:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self._dirty = False

    def _watch(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                now = time.monotonic()
                if now - self._start < self.delay:
                    continue
                if self.tty:
                    self.stream.write(f"\r\033[Ktipasp: {self._text} ({now - self._since:.0f} s)")
                    self._dirty = True
                elif self._shown != self._text:
                    # a timeline: when each phase that lasted was under way
                    self.stream.write(f"tipasp: {now - self._start:6.1f} s  {self._text}\n")
                    self._shown = self._text
                else:
                    continue
                self.stream.flush()


_current: Progress | None = None


def phase(text: str) -> None:
    """Report the start of a phase (nothing happens unless a run shows progress)."""
    if _current is not None:
        _current.phase(text)


def begin(mode: str, stream: TextIO | None = None) -> Progress | None:
    """Start showing progress: mode `on`, `off`, or `auto` (when the stream is a terminal)."""
    global _current
    stream = stream if stream is not None else sys.stderr
    if mode == "off" or mode == "auto" and not stream.isatty():
        return None
    _current = Progress(stream)
    _current.start()
    return _current


def end() -> None:
    """Stop showing progress (erasing the terminal line)."""
    global _current
    if _current is not None:
        _current.stop()
        _current = None
