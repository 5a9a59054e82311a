"""The `tipasp` command line: check, explain, report, fmt.

Exit codes: 0 every assertion holds; 1 an assertion fails; 2 the spec or the command
line has an error; 3 a limit was hit (--timeout, --memory), the output could not be
written, or an internal error (a bug); 130 interrupted (Ctrl-C); 141 standard output
was closed early (`tipasp check ... | head -1`), silently, as a process killed by
SIGPIPE would.

Three things end a run from outside the interpreter's normal flow, because the main
thread may be inside one long clingo call (grounding does not return to Python until
it is done): Ctrl-C and --timeout are watched by daemon threads that write their
message and end the process with os._exit (clingo releases the interpreter lock while
it grounds and solves, so these threads run); --memory is an address-space limit
(RLIMIT_AS), under which allocations fail and surface as MemoryError, with a watcher
thread that gives up just before it (see _Memory).

main() may also be called from a program (the tests do): whatever it changes in the
process (the SIGINT handler, the wakeup fd, RLIMIT_AS, malloc's arena count, the
thread exception hook) is put back when it returns.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__

if TYPE_CHECKING:  # the results module loads clingo: imported when a command needs it
    from .results import Result

EPILOG = """\
examples:
  tipasp check examples/secure_sum.tip
  tipasp check examples/secure_sum.tip --json
  tipasp check examples/secure_sum.tip --set N=1000 --timeout 60
  tipasp check examples/secure_sum.tip --set N=100000 --progress on
  tipasp explain examples/secure_sum.tip "{server, u[2], u[5]} learns x[1]"
  tipasp explain examples/secure_sum.tip "server learns x[1]" --format dot
  tipasp report examples/secure_sum.tip -o report.html
  tipasp fmt examples/secure_sum.tip

exit codes: 0 all assertions hold, 1 an assertion fails, 2 spec or usage error,
            3 --timeout or --memory reached, output not written, or internal error,
            130 interrupted, 141 output pipe closed (e.g. by head)
"""

INT_MAX = 2**31 - 1  # clingo integers are 32-bit signed (parser.INT_MAX, not imported: lark)
GUESS_BITS_MAX = 64
MEMORY_SHARE = 0.75  # the default --memory: this share of the physical memory
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE
REPORT_A_BUG = ("This is a bug in tipasp; please report it with the spec. "
                "Set TIPASP_DEBUG=1 for the traceback.")


# ---------------------------------------------------------------- option values


def _seconds(text: str) -> float:
    """--timeout: a finite number of seconds >= 0 (0: no limit)."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(
            f"expected a finite number of seconds >= 0 (0: no limit), not {text!r}")
    return v


def _int_from(lo: int, hi: int):
    """An option type: an integer from lo to hi."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(
                f"expected an integer from {lo} to {hi}, not {text!r}")
        return v

    parse.__name__ = f"integer {lo}..{hi}"
    return parse


_UNITS = {"": 1 << 20, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:([KMGT])(?:I?B)?|(%))?\s*", re.I)


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None when the system does not say."""
    try:
        n = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return n if n > 0 else None


def parse_size(text: str) -> int:
    """--memory: bytes, from `4G`, `1.5G`, `500M`, `2048` (megabytes), `75%` (of the
    physical memory); K, M, G, T are powers of 1024. 0 means no limit."""
    m = _SIZE_RE.fullmatch(text)
    bad = argparse.ArgumentTypeError(
        f"expected a size such as 4G, 500M or 75% (0: no limit), not {text!r}")
    if m is None:
        raise bad
    number, unit, percent = m.groups()
    value = float(number)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is too large (0 means no limit)")
    if percent:
        phys = physical_memory()
        if value > 100:
            raise argparse.ArgumentTypeError(f"expected a share from 0% to 100%, not {text!r}")
        if phys is None:
            raise argparse.ArgumentTypeError(
                f"the physical memory of this system is unknown; give a size, not {text!r}")
        return int(phys * value / 100)
    size = int(value * _UNITS[(unit or "").upper()])
    if size >= 1 << 62:
        raise argparse.ArgumentTypeError(f"{text!r} is too large (0 means no limit)")
    return size


def show_size(n: int) -> str:
    """A size in the form --memory takes: 512M, 1.5G, 17.6G."""
    for unit in "TGMK":
        if n >= _UNITS[unit]:
            v = f"{n / _UNITS[unit]:.1f}".removesuffix(".0")
            return f"{v}{unit}"
    return f"{n} bytes"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tipasp",
        description="Who can learn what: information-flow analysis of protocols and data "
        "flows, with proofs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"tipasp {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    phys = physical_memory()
    here = f", here {show_size(int(phys * MEMORY_SHARE))}" if phys else ""

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("spec", metavar="SPEC", help="the .tip file")
        sp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant (repeatable)")
        sp.add_argument("--timeout", type=_seconds, default=0.0, metavar="SECONDS",
                        help="give up after SECONDS of wall-clock time (exit 3); "
                        "0 (the default): no limit")
        sp.add_argument("--memory", type=parse_size, default=None, metavar="SIZE",
                        help="give up when tipasp needs more than SIZE of memory (exit 3): "
                        "4G, 500M, 2048 (megabytes) or 50%% (of the physical memory); "
                        f"0: no limit (default {round(MEMORY_SHARE * 100)}%%{here})")
        sp.add_argument("--guess-bits", type=_int_from(0, GUESS_BITS_MAX), default=40,
                        metavar="B",
                        help="secrets with a range below 2^B values can be guessed "
                        f"(0..{GUESS_BITS_MAX}, default 40)")
        sp.add_argument("--max-coalition", type=_int_from(1, INT_MAX), default=None,
                        metavar="K",
                        help="consider coalitions of at most K agents (default: any size)")
        sp.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="show what a long run is doing on standard error "
                        "(auto: when it is a terminal; default auto)")

    c = sub.add_parser("check", help="answer every query and assertion of a spec",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(c)
    c.add_argument("--json", action="store_true", help="print results as JSON (--format json)")
    c.add_argument("--format", choices=["text", "json", "sarif"], default=None,
                   help="text (default), json, or sarif: SARIF 2.1.0 with one result per "
                   "failed assertion or spec error, for code-scanning CI")
    c.add_argument("--no-proofs", action="store_true", help="do not compute proofs")
    e = sub.add_parser("explain", help="the proof (or why-not) of one query",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(e)
    e.add_argument("query", metavar="QUERY", help='e.g. "server learns x[1]"')
    e.add_argument("--format", choices=["text", "markdown", "json", "dot"], default="text")
    r = sub.add_parser("report", help="write a self-contained HTML report: the spec, the "
                       "narration drawn, every result with its proof drawn",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(r)
    r.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the HTML file to write (-: standard output)")
    f = sub.add_parser("fmt", help="print a spec in canonical layout")
    f.add_argument("spec", metavar="SPEC")
    return p


# ---------------------------------------------------------------- ending the process

_ending = threading.Lock()


def _die(message: bytes, code: int) -> NoReturn:
    """Write `message` on standard error and end the process now, from any thread.

    Neither the message nor the exit allocates (it may be called when memory is
    exhausted) or waits for the main thread (it may be inside clingo). Only the
    first caller gets through; a second one waits for the end."""
    if _ending.acquire(blocking=False):
        try:
            if os.isatty(2):  # erase a progress line (and the ^C echo) first
                os.write(2, b"\r\033[K")
            os.write(2, message)
        except OSError:
            pass
        os._exit(code)
    while True:
        time.sleep(3600)


_INTERRUPTED = b"tipasp: interrupted\n"


def _on_sigint(signum: int, frame: object) -> None:
    _die(_INTERRUPTED, EXIT_INTERRUPTED)


class _Interrupts:
    """Ctrl-C ends the run at once, whatever the main thread is doing.

    Python runs a signal handler only when the main thread returns to the
    interpreter, which a clingo grounding call does not do for minutes. The C-level
    handler, though, writes the signal number to the wakeup fd at once; a daemon
    thread waiting on it (clingo releases the interpreter lock) then ends the
    process. The Python-level handler does the same in case it runs first. Either
    way no KeyboardInterrupt is raised, so there is no traceback, not even during
    imports. `remove` puts the previous handler back (main() may be called from a
    program, e.g. the tests)."""

    def __init__(self) -> None:
        self._installed = False

    def install(self) -> _Interrupts:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals can only be set up from the main thread
        r, w = socket.socketpair()
        w.setblocking(False)
        try:
            self._old_fd = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):
            r.close()
            w.close()
            return self
        self._old_handler = signal.signal(signal.SIGINT, _on_sigint)
        self._r, self._w = r, w
        self._thread = threading.Thread(target=self._watch, name="tipasp-interrupt",
                                        daemon=True)
        self._thread.start()
        self._installed = True
        return self

    def _watch(self) -> None:
        while True:
            try:
                data = self._r.recv(64)
            except InterruptedError:
                continue
            except OSError:
                return
            if not data:  # remove() closed the other end
                return
            if signal.SIGINT in data:
                _die(_INTERRUPTED, EXIT_INTERRUPTED)

    def remove(self) -> None:
        if not self._installed:
            return
        self._installed = False
        signal.set_wakeup_fd(self._old_fd)
        if self._old_handler is not None:
            signal.signal(signal.SIGINT, self._old_handler)
        self._w.close()
        self._thread.join(1.0)
        self._r.close()


def _watchdog(seconds: float) -> threading.Timer | None:
    """Ends the process with exit code 3 after `seconds` (0: no limit)."""
    if not seconds or seconds > threading.TIMEOUT_MAX:  # ~292 years: no limit either
        return None
    message = f"tipasp: time limit of {seconds:g} s reached; giving up\n".encode()
    t = threading.Timer(seconds, _die, (message, 3))
    t.daemon = True
    t.start()
    return t


class _Memory:
    """The --memory limit, for the run (restored after).

    The limit is on the address space, RLIMIT_AS: an allocation beyond it fails, and
    Python and clingo raise MemoryError. Not every library survives a failed
    allocation, though (clingo's parser crashes, numpy's BLAS exits with status 1,
    glibc aborts with 127 when it cannot allocate thread-local data), so a watcher
    thread also samples the address space every few hundredths of a second and
    gives up cleanly a little before the limit (1/8 of it, at most 64M): a run that
    grows gradually, as a grounding does, ends there; a sudden large allocation
    still meets RLIMIT_AS."""

    POLL = 0.02  # seconds between samples
    MARGIN = 64 << 20  # at most; 1/8 of a smaller limit

    def __init__(self) -> None:
        self.limit: int | None = None  # in bytes, while in force, whoever set it
        self._saved: tuple[int, int] | None = None
        self._watching = False
        self._watcher: threading.Thread | None = None
        self._arena_max_set = False

    def apply(self, requested: int | None) -> None:
        """`requested`: bytes, 0 for no limit, None for the default share of the
        physical memory. A default never raises a lower limit already in force
        (`ulimit -v`); no value can exceed the hard limit."""
        try:
            import resource
        except ImportError:  # not a Unix: no limit
            return
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        inf = resource.RLIM_INFINITY
        current = None if soft == inf else soft
        self.limit = current
        target: int | None = requested
        if requested is None:
            phys = physical_memory()
            target = int(phys * MEMORY_SHARE) if phys else None
            if target is not None and current is not None:
                target = min(target, current)
        if target and hard != inf:
            target = min(target, hard)
        limit = target or current  # without one of ours, one from outside stays in force
        if limit is None:
            return
        self.limit = limit
        self._watch(limit - min(limit // 8, self.MARGIN))  # started while it still can be
        if target:
            try:
                resource.setrlimit(resource.RLIMIT_AS, (target, hard))
                self._saved = (soft, hard)
            except (ValueError, OSError):
                pass  # the watcher alone, then

    def one_arena(self, one: bool = True) -> None:
        """glibc's malloc gives a thread that allocates its own arena, 64M of address
        space (up to 8 per core): one arena for all threads (tipasp's work is on the
        main thread) leaves that address space to the spec. Called before any thread
        starts; `restore` puts glibc's default (0) back."""
        try:
            import ctypes

            ctypes.CDLL(None).mallopt(-8, 1 if one else 0)  # M_ARENA_MAX
            self._arena_max_set = one
        except (ImportError, OSError, AttributeError):
            pass

    def _watch(self, threshold: int) -> None:
        try:
            fd = os.open("/proc/self/statm", os.O_RDONLY)
            page = os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, AttributeError):  # not Linux: RLIMIT_AS alone
            return
        message = (self.message() + "\n").encode()

        def watch() -> None:
            # no locks, events or other allocations but the smallest: memory may be gone
            try:
                while self._watching:
                    if int(os.pread(fd, 64, 0).split()[0]) * page > threshold:
                        _die(message, 3)
                    time.sleep(self.POLL)
            except MemoryError:
                _die(message, 3)
            except (OSError, ValueError, IndexError):
                pass
            finally:
                os.close(fd)

        self._watching = True
        thread = threading.Thread(target=watch, name="tipasp-memory", daemon=True)
        try:
            thread.start()
        except BaseException:
            self._watching = False
            os.close(fd)
            raise
        self._watcher = thread

    @contextlib.contextmanager
    def lifted(self) -> Iterator[None]:
        """RLIMIT_AS as it was before `apply`, for a moment."""
        if self._saved is None or self.limit is None:
            yield
            return
        import resource

        resource.setrlimit(resource.RLIMIT_AS, self._saved)
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (self.limit, self._saved[1]))

    def restore(self) -> None:
        if self._arena_max_set:
            self.one_arena(False)
        if self._watcher is not None:
            self._watching = False
            self._watcher.join(1.0)
            self._watcher = None
        if self._saved is not None:
            import resource

            try:
                resource.setrlimit(resource.RLIMIT_AS, self._saved)
            except (ValueError, OSError):
                pass
            self._saved = None

    def message(self) -> str:
        if self.limit is None:
            return "tipasp: out of memory; giving up"
        return f"tipasp: memory limit of {show_size(self.limit)} reached; giving up"


def _out_of_memory(err: BaseException) -> bool:
    """Whether `err` means an allocation failed (under the --memory limit or not)."""
    if isinstance(err, MemoryError):
        return True
    text = str(err)
    if isinstance(err, RuntimeError):
        return "bad_alloc" in text or "can't start new thread" in text
    if isinstance(err, (ImportError, OSError)):  # a shared library that cannot be mapped
        return "Cannot allocate memory" in text or "failed to map segment" in text
    return False


def _prime_native_exceptions() -> None:
    """Throw and catch one C++ exception in clingo on this thread, now.

    The first C++ exception a thread throws allocates libstdc++'s per-thread
    exception state. If that first one is a std::bad_alloc under the memory limit,
    the allocation fails and the dynamic loader ends the process with exit code 127
    ("cannot allocate memory for thread-local data: ABORT") instead of clingo's
    MemoryError. Thrown once beforehand, the state exists."""
    import clingo

    try:
        clingo.Control(["--tipasp-no-such-option"])
    except RuntimeError:
        pass


# ---------------------------------------------------------------- output


class _PipeClosed(Exception):
    """Standard output is a pipe whose reader is gone."""


class _CannotWrite(Exception):
    """Standard output cannot be written (a full disk, for example)."""


def _emit(text: str) -> None:
    """Write `text` on standard output and flush it, so that errors surface here."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise _PipeClosed from None
    except OSError as err:
        raise _CannotWrite(err.strerror or str(err)) from None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush of
    what could not be written raises nothing ("Exception ignored ...")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def _say(text: str) -> None:
    """A line on standard error (which may itself be closed)."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tipasp` console script."""
    interrupts = _Interrupts().install()  # first: a Ctrl-C from now on is clean
    memory = _Memory()
    memory.one_arena()
    timer: threading.Timer | None = None
    thread_hook = threading.excepthook

    def out_of_memory_in_a_thread(hook_args: Any) -> None:
        # e.g. the progress thread cannot allocate a lock: the run is out of memory,
        # not broken (and its traceback would be noise)
        if hook_args.exc_value is not None and _out_of_memory(hook_args.exc_value):
            try:
                message = (memory.message() + "\n").encode()
            except MemoryError:
                message = b"tipasp: out of memory; giving up\n"
            _die(message, 3)
        thread_hook(hook_args)

    threading.excepthook = out_of_memory_in_a_thread
    try:
        try:
            parser = _parser()
            args = parser.parse_args(argv)
            if getattr(args, "json", False) and args.format not in (None, "json"):
                parser.error(f"--json and --format {args.format} ask for two outputs")
        except SystemExit:  # --help, --version or a usage error (exit 2)
            try:
                sys.stdout.flush()
            except OSError:
                _silence_stdout()
            raise
        if args.command is None:
            _emit(_parser().format_help())
            return 2
        if args.command != "fmt":
            timer = _watchdog(args.timeout)
        return _run(args, memory)
    except _PipeClosed:
        _silence_stdout()
        return EXIT_PIPE_CLOSED
    except _CannotWrite as err:
        _silence_stdout()
        _say(f"tipasp: cannot write the output: {err}")
        return 3
    except BaseException as err:
        if isinstance(err, (SystemExit, KeyboardInterrupt)) or not _out_of_memory(err):
            raise
        _say(memory.message())
        return 3
    finally:
        if timer is not None:
            timer.cancel()
        memory.restore()
        threading.excepthook = thread_hook
        interrupts.remove()


def _run(args: argparse.Namespace, memory: _Memory) -> int:
    """The command, with every error it can raise turned into a message and an exit code."""
    from . import progress
    from .errors import InternalError, ResourceLimit, SpecError

    try:
        if args.command == "fmt":
            return _fmt(args)
        # the code is loaded before the limit applies: it counts the spec's work, and a
        # library that fails to load under it may not say MemoryError (hashlib logs
        # tracebacks, for one)
        from . import frontend, report  # noqa: F401

        _prime_native_exceptions()
        memory.apply(args.memory)
        progress.begin(args.progress)
        try:
            if args.command == "check":
                return _check(args, memory)
            if args.command == "report":
                return _report(args, memory)
            return _explain(args, memory)
        finally:
            progress.end()
    except (_PipeClosed, _CannotWrite):
        raise
    except SpecError as err:
        _say(err.render())
        if args.command == "check" and args.format == "sarif":
            from .sarif import errors_sarif

            _emit(json.dumps(errors_sarif(args.spec, err.diagnostics), indent=2) + "\n")
        return 2
    except InternalError as err:
        _internal(str(err))
        return 3
    except ResourceLimit as err:
        if str(err).startswith(InternalError.PREFIX):  # report.InternalError, until it
            _internal(str(err))  # derives from errors.InternalError
        else:
            _say(f"tipasp: {err}")
        return 3
    except KeyboardInterrupt:  # only if _Interrupts could not be installed
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug in tipasp, never the user's fault
        if _out_of_memory(err):
            _say(memory.message())
            return 3
        _internal(f"internal error: {type(err).__name__}: {err}")
        return 3


def _internal(message: str) -> None:
    _say(f"tipasp: {message}")
    _say(REPORT_A_BUG)
    if os.environ.get("TIPASP_DEBUG"):
        import traceback

        traceback.print_exc()


def _load(args: argparse.Namespace, memory: _Memory, extra: str | None = None):
    from . import frontend, progress

    progress.phase(f"reading {args.spec}")

    overrides = frontend.parse_overrides(args.set)
    if extra is None:
        model = frontend.load(args.spec, overrides)
    else:
        model = frontend.load_with_query(args.spec, extra, overrides)
    if any(q.kind in ("leakage", "leakage_within") for q in model.questions):
        _prime_numpy(memory)
    return model


def _prime_numpy(memory: _Memory) -> None:
    """Import numpy and run its linear algebra once, outside the memory limit.

    Leakage questions use numpy, whose BLAS library allocates its work buffers on
    first use and, when that fails, prints "OpenBLAS error: Memory allocation still
    failed" and exits with status 1 (as if an assertion failed) instead of raising
    MemoryError. Done now, with the limit lifted, the buffers exist before the
    grounding takes the memory."""
    import mmap

    # numpy and its buffers take about 160M, and 8M more per BLAS thread
    need = (160 << 20) + (8 << 20) * ((os.cpu_count() or 1) - 1)
    with memory.lifted():
        try:  # is there room? (a limit set outside tipasp may not be liftable)
            mmap.mmap(-1, need).close()
        except OSError:
            raise MemoryError from None
        import numpy as np

        a = np.eye(256) + 1.0  # large enough for BLAS to use its threads
        np.linalg.solve(a @ a, a[0])


def _fmt(args: argparse.Namespace) -> int:
    from . import frontend
    from .fmt import format_source

    text = frontend.read_source(args.spec)
    _emit(format_source(text, args.spec))
    return 0


def _check(args: argparse.Namespace, memory: _Memory) -> int:
    from .api import check

    model = _load(args, memory)
    report = check(
        model,
        guess_bits=args.guess_bits,
        max_coalition=args.max_coalition,
        proofs=not args.no_proofs,
    )
    if args.format == "sarif":
        from .sarif import report_sarif

        _emit(json.dumps(report_sarif(report), indent=2) + "\n")
    elif args.json or args.format == "json":
        _emit(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        _emit(report.text())
    return 1 if report.failed else 0


def _report(args: argparse.Namespace, memory: _Memory) -> int:
    """`tipasp report SPEC -o FILE`: the HTML report (report_html.py), written whole
    or not at all; nothing on standard output unless FILE is `-`."""
    from . import progress
    from .api import check
    from .report_html import document

    model = _load(args, memory)
    report = check(model, guess_bits=args.guess_bits, max_coalition=args.max_coalition)
    progress.phase("drawing the report")
    page = document(report)
    if args.output == "-":
        _emit(page)
    else:
        _write_file(args.output, page)
    return 1 if report.failed else 0


def _write_file(path: str, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it, renamed at the end,
    so that a failed write leaves no half-written file."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tipasp-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise _CannotWrite(f"{path}: {err.strerror or err}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _explain(args: argparse.Namespace, memory: _Memory) -> int:
    from . import render
    from .api import check
    from .attack_render import attack_dot, attack_markdown, attack_text
    from .report import render_text

    model = _load(args, memory, extra=args.query)
    only = replace(model, questions=model.questions[-1:])
    results = check(only, guess_bits=args.guess_bits, max_coalition=args.max_coalition).results
    if args.format == "json":
        _emit(json.dumps([r.to_json() for r in results], indent=2) + "\n")
        return 1 if _failed(results) else 0

    chunks = []
    for r in results:
        proved = [lr for lr in r.answered() if lr.proof is not None]
        if not proved:
            chunks.append(render_text([r]))
            continue
        for lr in proved:
            p = lr.proof
            assert p is not None
            if lr.attack is not None:  # an attack: the run, then the final proof
                render_attack = {"dot": attack_dot, "markdown": attack_markdown}
                chunks.append(render_attack.get(args.format, attack_text)(lr.attack))
            elif args.format == "dot":
                chunks.append(render.dot(p))
            elif args.format == "markdown":
                chunks.append(render.markdown(p))
            else:
                chunks.append(render.text(p))
    _emit("\n".join(c.rstrip("\n") for c in chunks) + "\n")
    return 1 if _failed(results) else 0


def _failed(results: Sequence[Result]) -> bool:
    """Whether an assertion among the results fails (exit code 1)."""
    from .results import Assertion

    return any(isinstance(r, Assertion) and not r.holds for r in results)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
