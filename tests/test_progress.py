"""Progress on standard error: shown only for runs that last, never in the results."""

from __future__ import annotations

import io
import time
from pathlib import Path

from tipasp import progress
from tipasp.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream: io.StringIO, phases: list[str], pause: float) -> str:
    p = progress.Progress(stream, delay=0.05, tick=0.01)
    p.start()
    for text in phases:
        p.phase(text)
        time.sleep(pause)
    p.stop()
    return stream.getvalue()


def test_a_pipe_gets_one_stamped_line_per_phase_that_lasts() -> None:
    out = _run(io.StringIO(), ["grounding the coalition program", "question 1 of 2 (line 9)"],
               0.2)
    lines = out.splitlines()
    assert [ln.split(" s  ", 1)[1] for ln in lines] == [
        "grounding the coalition program", "question 1 of 2 (line 9)"]
    assert all(ln.startswith("tipasp: ") and " s  " in ln for ln in lines)


def test_a_terminal_line_is_rewritten_and_erased_at_the_end() -> None:
    out = _run(_Tty(), ["grounding the agents program"], 0.2)
    assert "tipasp: grounding the agents program (0 s)" in out
    assert out.endswith("\r\033[K")
    assert "\n" not in out


def test_a_quick_run_shows_nothing() -> None:
    p = progress.Progress(io.StringIO(), delay=5.0, tick=0.01)
    p.start()
    p.phase("grounding")
    time.sleep(0.05)
    p.stop()
    assert p.stream.getvalue() == ""


def test_auto_shows_nothing_when_standard_error_is_no_terminal(capsys) -> None:
    assert main(["check", str(EXAMPLES / "secure_sum.tip"), "--progress", "auto"]) == 0
    assert progress.begin("auto", io.StringIO()) is None
    assert progress.begin("off", _Tty()) is None
    assert capsys.readouterr().err == ""


def test_phases_are_reported_only_while_a_run_shows_progress() -> None:
    stream = io.StringIO()
    shown = progress.begin("on", stream)
    assert shown is not None
    progress.phase("question 3 of 4 (line 7)")
    assert shown._text == "question 3 of 4 (line 7)"
    progress.end()
    progress.phase("after the end")  # no run: nothing happens
    assert shown._text == "question 3 of 4 (line 7)"
