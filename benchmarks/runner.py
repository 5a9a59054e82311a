"""Run `tipasp` in a fresh process per case: wall time, that process's own peak RSS
(from wait4, not the maximum over all children), a time limit and a memory cap.
Shared by the benchmark scripts beside this file."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass


@dataclass
class Run:
    wall: float
    peak_mb: float
    status: str  # the exit code, "timeout" or "memout"
    stdout: str
    stderr: str


def run_tipasp(args: list[str], timeout: float, mem_mb: int) -> Run:
    """Run `python -m tipasp.cli ARGS` in a fresh process; its own peak RSS and wall time."""

    def limit() -> None:
        if mem_mb > 0:
            lim = mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    killed = threading.Event()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tipasp.cli", *args],
            stdout=out, stderr=err, preexec_fn=limit, start_new_session=True,
        )

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, wstatus, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(wstatus)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    if killed.is_set():
        status = "timeout"
    elif any(w in stderr for w in ("out of memory", "MemoryError", "bad_alloc")):
        status = "memout"
    else:
        status = str(proc.returncode)
    return Run(wall, peak, status, stdout, stderr)


def report_failures(title: str, failures: list[str]) -> int:
    """Print the failures under a banner; the script's exit status (1 if any)."""
    if not failures:
        return 0
    print("\n" + "!" * 72)
    print(title)
    for f in failures:
        print("  " + f)
    print("!" * 72)
    return 1
