"""The command line at its limits: option values out of range, Ctrl-C in any phase,
output that cannot be written, internal errors, and the memory limit.

Every case asserts the exact exit code and message (docs/cli.md, "Options" and
"Exit codes"). Runs that must be a separate process (signals, closed pipes, address
space limits) are subprocesses of `python -m tipasp.cli`; the rest call main().
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import CLI_CWD, EXAMPLES, run_cli

import tipasp.report
from tipasp import cli, errors
from tipasp.cli import main

SUM = str(EXAMPLES / "secure_sum.tip")
BUG_LINE = ("This is a bug in tipasp; please report it with the spec. "
            "Set TIPASP_DEBUG=1 for the traceback.")


def address_space(limit: int):
    """A preexec_fn: the child starts under `ulimit -v` (soft and hard) of `limit` bytes."""
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# ---------------------------------------------------------------- 1. option values

SECONDS = "expected a finite number of seconds >= 0 (0: no limit)"
BITS = "expected an integer from 0 to 64"
COALITION = "expected an integer from 1 to 2147483647"
SIZE = "expected a size such as 4G, 500M or 75% (0: no limit)"


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--timeout", "inf", SECONDS),
    ("--timeout", "-inf", SECONDS),
    ("--timeout", "nan", SECONDS),
    ("--timeout", "-1", SECONDS),
    ("--timeout", "1e999", SECONDS),
    ("--timeout", "soon", SECONDS),
    ("--guess-bits", "99999999999", BITS),
    ("--guess-bits", "65", BITS),
    ("--guess-bits", "-1", BITS),
    ("--guess-bits", "1.5", BITS),
    ("--max-coalition", "99999999999999", COALITION),
    ("--max-coalition", "2147483648", COALITION),
    ("--max-coalition", "0", COALITION),
    ("--max-coalition", "-3", COALITION),
    ("--memory", "4X", SIZE),
    ("--memory", "-1", SIZE),
    ("--memory", "1e3", SIZE),
    ("--memory", "G", SIZE),
])
def test_an_option_value_out_of_range_is_a_usage_error(capsys, option, value, message) -> None:
    # "--timeout -inf" would read -inf as an option; "--timeout=-inf" is what works
    given = [f"{option}={value}"] if value == "-inf" else [option, value]
    with pytest.raises(SystemExit) as e:
        main(["check", SUM, *given])
    out, err = capsys.readouterr()
    assert e.value.code == 2 and out == ""
    assert err.splitlines()[0].startswith("usage: tipasp check")
    assert err.splitlines()[-1] == (
        f"tipasp check: error: argument {option}: {message}, not {value!r}")
    assert "Traceback" not in err


@pytest.mark.parametrize(("value", "message"), [
    ("150%", "expected a share from 0% to 100%, not '150%'"),
    ("99999999999999999T", "'99999999999999999T' is too large (0 means no limit)"),
])
def test_a_memory_size_out_of_range_says_why(capsys, value, message) -> None:
    with pytest.raises(SystemExit) as e:
        main(["explain", SUM, "server learns x[1]", "--memory", value])
    assert e.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tipasp explain: error: argument --memory: {message}")


def test_a_huge_guess_bits_is_refused_at_once(capsys) -> None:
    # it used to compute 2**99999999999 for 58 s, deaf to --timeout
    start = time.monotonic()
    with pytest.raises(SystemExit):
        main(["check", SUM, "--guess-bits", "99999999999", "--timeout", "5"])
    assert time.monotonic() - start < 1.0
    capsys.readouterr()


def test_the_bounds_themselves_are_accepted(capsys) -> None:
    for extra in (["--timeout", "0"], ["--guess-bits", "0"], ["--guess-bits", "64"],
                  ["--max-coalition", "1"], ["--max-coalition", "2147483647"],
                  ["--memory", "0"], ["--memory", "0%"], ["--memory", "100%"]):
        assert main(["check", SUM, "--no-proofs", *extra]) == 0, extra
        out, err = capsys.readouterr()
        assert "assert not server learns x[3]: holds" in out and err == "", extra


def test_max_coalition_one_still_answers(capsys) -> None:
    # 0 or -3 used to answer "nobody" silently; 1 is the smallest bound and means it
    assert main(["check", SUM, "--max-coalition", "1"]) == 0
    assert "learners: none" in capsys.readouterr().out


def test_memory_sizes_and_their_display() -> None:
    phys = cli.physical_memory()
    assert cli.parse_size("4G") == cli.parse_size("4GB") == cli.parse_size("4gib") == 4 << 30
    assert cli.parse_size("500M") == cli.parse_size("500") == 500 << 20
    assert cli.parse_size("2048") == 2 << 30
    assert cli.parse_size("1.5G") == 3 << 29
    assert cli.parse_size("64K") == 64 << 10
    assert cli.parse_size("0") == cli.parse_size("0G") == 0
    if phys:
        assert cli.parse_size("50%") == phys // 2
    assert [cli.show_size(n) for n in (4 << 30, 500 << 20, 3 << 29, 1 << 10, 100)] == [
        "4G", "500M", "1.5G", "1K", "100 bytes"]


def test_timeout_zero_means_no_limit_and_the_timer_does_not_outlive_main(capsys) -> None:
    assert main(["check", SUM, "--timeout", "0"]) == 0
    assert main(["check", SUM, "--timeout", "0.5"]) == 0
    capsys.readouterr()
    time.sleep(0.05)
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)
                and t.is_alive()]


# ---------------------------------------------------------------- 2. Ctrl-C


def test_ctrl_c_during_grounding_ends_the_run_at_once() -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "tipasp.cli", "check", SUM, "--set", "N=100000",
         "--progress", "on"],
        cwd=CLI_CWD, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the progress line appears after 2 s; grounding takes tens of seconds more
        line = p.stderr.readline()
        assert line.endswith("grounding the coalition program\n"), line
        time.sleep(0.3)
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        latency = time.monotonic() - sent
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130
    assert latency < 2.0, latency  # it used to wait for the grounding to end (16 s at N=50000)
    assert out == "" and err == "tipasp: interrupted\n"


SLOW_IMPORT = """\
import sys, time
class Slow:  # stands for a slow first import of clingo
    def find_spec(self, name, path=None, target=None):
        if name == "clingo":
            sys.stderr.write("importing\\n")
            sys.stderr.flush()
            time.sleep(30)
        return None
sys.meta_path.insert(0, Slow())
from tipasp.cli import main
sys.exit(main(["check", sys.argv[1]]))
"""


def test_ctrl_c_during_imports_prints_no_traceback() -> None:
    p = subprocess.Popen([sys.executable, "-c", SLOW_IMPORT, SUM], cwd=CLI_CWD,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stderr.readline() == "importing\n"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130
    assert out == "" and err == "tipasp: interrupted\n"


def test_main_puts_the_interrupt_handling_back(capsys) -> None:
    before = signal.getsignal(signal.SIGINT)
    assert main(["check", SUM]) == 0
    capsys.readouterr()
    assert signal.getsignal(signal.SIGINT) is before
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    assert fd == -1


# ---------------------------------------------------------------- 3. output errors


@pytest.mark.parametrize("command", [["check", SUM], ["fmt", SUM]])
def test_a_closed_output_pipe_ends_quietly_with_141(command) -> None:
    p = subprocess.Popen([sys.executable, "-m", "tipasp.cli", *command], cwd=CLI_CWD,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # as `| head -1` does once it has its line
    err = p.stderr.read()
    p.wait(timeout=60)
    assert p.returncode == 141
    assert err == ""  # neither "bug in tipasp" nor "Exception ignored ... BrokenPipeError"


@pytest.mark.parametrize("command", [["check", SUM], ["fmt", SUM]])
def test_a_full_disk_is_an_output_error_not_a_bug(command) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "tipasp.cli", *command], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=CLI_CWD)
    assert proc.returncode == 3
    assert proc.stderr == "tipasp: cannot write the output: No space left on device\n"


def test_output_errors_in_process(capsys, monkeypatch) -> None:
    class Broken:
        def __init__(self, error: OSError) -> None:
            self.error = error

        def write(self, text: str) -> int:
            raise self.error

        def flush(self) -> None:
            raise self.error

    monkeypatch.setattr(sys, "stdout", Broken(BrokenPipeError(32, "Broken pipe")))
    assert main(["check", SUM]) == 141
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys, "stdout", Broken(OSError(28, "No space left on device")))
    assert main(["check", SUM]) == 3
    assert capsys.readouterr().err == "tipasp: cannot write the output: No space left on device\n"


# ---------------------------------------------------------------- 4. internal errors


def test_the_error_classes() -> None:
    for cls in (errors.SpecError, errors.ResourceLimit, errors.InternalError):
        assert issubclass(cls, errors.TipaspError)
    assert not issubclass(errors.InternalError, errors.ResourceLimit)
    assert (errors.SpecError.exit_code, errors.ResourceLimit.exit_code,
            errors.InternalError.exit_code) == (2, 3, 3)
    assert str(errors.InternalError("x went wrong")) == "internal error: x went wrong"
    assert str(errors.InternalError("internal error: y")) == "internal error: y"


def raising(exc: BaseException):
    def check_spec(*_a, **_k):
        raise exc

    return check_spec


def test_an_internal_error_is_a_bug_report_not_a_limit(capsys, monkeypatch) -> None:
    monkeypatch.setattr(tipasp.report, "check_spec", raising(errors.InternalError(
        "the proof checker rejected a proof for line 15: step 4 is wrong")))
    assert main(["check", SUM]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "tipasp: internal error: the proof checker rejected a proof for line 15: "
        "step 4 is wrong", BUG_LINE]


def test_a_resource_limit_is_not_a_bug(capsys, monkeypatch) -> None:
    monkeypatch.setattr(tipasp.report, "check_spec",
                        raising(errors.ResourceLimit("too many coalitions; giving up")))
    assert main(["check", SUM]) == 3
    assert capsys.readouterr().err == "tipasp: too many coalitions; giving up\n"


def test_an_unexpected_exception_is_a_bug(capsys, monkeypatch) -> None:
    monkeypatch.setattr(tipasp.report, "check_spec", raising(KeyError("q")))
    assert main(["check", SUM]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "tipasp: internal error: KeyError: 'q'", BUG_LINE]


# ---------------------------------------------------------------- 5. memory


def test_the_default_memory_limit_is_a_share_of_the_machine(capsys, monkeypatch) -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    seen = []
    real = tipasp.report.check_spec

    def check_spec(*a, **k):
        seen.append(resource.getrlimit(resource.RLIMIT_AS))
        return real(*a, **k)

    monkeypatch.setattr(tipasp.report, "check_spec", check_spec)
    assert main(["check", SUM]) == 0
    assert main(["check", SUM, "--memory", "0"]) == 0
    assert main(["check", SUM, "--memory", "12G"]) == 0
    capsys.readouterr()
    phys = cli.physical_memory()
    assert phys
    share = int(phys * cli.MEMORY_SHARE)
    if before[0] != resource.RLIM_INFINITY:
        share = min(share, before[0])
    hard = before[1]
    twelve = 12 << 30 if hard == resource.RLIM_INFINITY else min(12 << 30, hard)
    assert seen == [(share, hard), before, (twelve, hard)]
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # put back after each run


@pytest.mark.parametrize("exc", [MemoryError(), RuntimeError("std::bad_alloc"),
                                 RuntimeError("In context '<libclingo>': bad_alloc")])
def test_running_out_of_memory_is_reported_with_the_limit(capsys, monkeypatch, exc) -> None:
    monkeypatch.setattr(tipasp.report, "check_spec", raising(exc))
    assert main(["check", SUM, "--memory", "64G"]) == 3
    assert capsys.readouterr().err == "tipasp: memory limit of 64G reached; giving up\n"


def test_a_large_grounding_stops_at_the_memory_limit() -> None:
    proc = run_cli("check", SUM, "--set", "N=20000", "--memory", "300M")  # needs ~800M
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr == "tipasp: memory limit of 300M reached; giving up\n"


def test_a_ulimit_cap_gives_exit_3_not_127() -> None:
    # clingo's first std::bad_alloc used to abort the process: "cannot allocate
    # memory for thread-local data: ABORT", exit 127
    proc = run_cli("check", SUM, "--set", "N=20000", "--memory", "0",
                  preexec_fn=address_space(400 << 20))
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr == "tipasp: memory limit of 400M reached; giving up\n"


def test_leakage_under_a_tight_cap_gives_exit_3_not_1() -> None:
    # numpy's BLAS exits with status 1 when it cannot get its buffers
    proc = run_cli("check", str(EXAMPLES / "gopa.tip"), preexec_fn=address_space(200 << 20))
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr == "tipasp: memory limit of 200M reached; giving up\n"
