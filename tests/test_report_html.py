"""`tipasp report SPEC -o FILE`: the self-contained HTML report (tipasp/report_html.py).

Two kinds of tests: the page's structure, read with Python's html.parser (every
result, every proof step and proof-graph node, one arrow per message statement,
one per attack event, spec text escaped, nothing loaded from outside); and the page
in a real browser, Debian's `chromium` in headless mode (the rendered DOM has every
result and proof step, the page logs no console error, and a screenshot is a real
picture). A machine without chromium fails these tests, with a message saying how
to install it: `.ci/run` installs it when it is missing.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EXAMPLES, run_main, write_spec

import tipasp
from tipasp import render
from tipasp.api import Report
from tipasp.attack_render import attack_text
from tipasp.report import render_text
from tipasp.report_html import _SCRIPT, document

# ------------------------------------------------------------------ a DOM of sorts


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag and (cls is None or cls in n.classes)]


VOID = {"meta", "link", "br", "hr", "img", "input", "source", "wbr", "area", "base", "col",
        "embed", "param", "track"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.cur = self.root
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.cur.tag != tag:
            self.errors.append(f"</{tag}> closes <{self.cur.tag}>")
            n = self.cur
            while n is not None and n.tag != tag:
                n = n.parent
            if n is None:
                return
            self.cur = n
        assert self.cur.parent is not None
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(page: str, strict: bool = True) -> Node:
    b = _Builder()
    b.feed(page)
    b.close()
    if strict:
        assert not b.errors, b.errors[:5]
        assert b.cur is b.root, f"<{b.cur.tag}> is not closed"
    return b.root


# ------------------------------------------------------------------------ checks


def proof_texts(report: Report) -> list[tuple[int, str, tipasp.results.Learner]]:
    """(result index, the evidence text the CLI prints, the learner) for each learner."""
    out = []
    for k, r in enumerate(report.results, 1):
        for lr in r.answered():
            if lr.attack is not None:
                out.append((k, attack_text(lr.attack), lr))
            elif lr.proof is not None:
                out.append((k, render.text(lr.proof), lr))
    return out


def check_page(root: Node, report: Report) -> None:
    """Every result with its question, every proof line and graph node, the
    narration's arrows, the attacks' events."""
    results = root.find("details", "result")
    assert len(results) == len(report.results)
    for k, (node, r) in enumerate(zip(results, report.results, strict=True), 1):
        assert node.attrs["id"] == f"r{k}"
        assert node.attrs["data-line"] == str(r.line)
        summary = node.find("summary")[0].text()
        assert render_text([r]).split("\n", 1)[0] in summary
    for k, text, lr in proof_texts(report):
        res = results[k - 1]
        pres = "\n".join(p.text() for p in res.find("pre", "proof"))
        for line in text.rstrip("\n").split("\n"):
            assert line in pres.split("\n"), (k, line)
        proof = lr.attack.proof if lr.attack is not None else lr.proof
        graphs = [s for s in res.find("svg", "dag")
                  if s.attrs["aria-label"].startswith(f"proof graph: {render.header(proof)},")]
        assert graphs, render.header(proof)
        nodes = graphs[0].find("g", "node")
        assert [n.attrs["data-step"] for n in nodes] == [str(s.id) for s in proof.steps]
        edges = graphs[0].find("g", "edge")
        assert len(edges) == sum(len(s.premises) for s in proof.steps)
        if lr.attack is not None:
            charts = res.find("svg", "attack")
            assert charts
            events = charts[0].find("g", "event")
            assert [e.attrs["data-index"] for e in events] == [
                str(e.index) for e in lr.attack.events]
    (msc,) = [s for s in root.find("svg", "msc") if s.attrs["id"] == "narration"]
    arrows = msc.find("g", "msg")
    model = report.model
    assert [a.attrs["data-step"] for a in arrows] == [str(m.step) for m in model.messages]
    lifelines = msc.find("g", "lifeline")
    assert len(lifelines) == len(model.agents)


def self_contained(root: Node, page: str) -> None:
    """Nothing loaded from elsewhere: no src/href but in-page anchors, one script
    (ours), no @import or url() but the SVG markers' in-page references."""
    for n in root.walk():
        for attr in ("src", "href", "srcset", "action", "xlink:href"):
            if attr in n.attrs:
                assert n.attrs[attr].startswith("#"), (n.tag, attr, n.attrs[attr])
    scripts = root.find("script")
    assert len(scripts) == 1 and scripts[0].text() == _SCRIPT
    assert "@import" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    for n in root.walk():
        for v in n.attrs.values():
            if "url(" in v:
                assert v.startswith("url(#"), v


# ----------------------------------------------------------------- structure tests

EXAMPLES_SHOWN = ["secure_sum", "nspk", "key_server", "published_total",
                  "needham_schroeder", "gopa_graph", "secagg_dropout", "pin"]


@pytest.mark.parametrize("name", EXAMPLES_SHOWN)
def test_the_page_shows_every_result_proof_and_message(name: str) -> None:
    report = tipasp.check(EXAMPLES / f"{name}.tip")
    page = document(report)
    root = parse(page)
    check_page(root, report)
    self_contained(root, page)
    spec_lines = root.find("pre", "spec")[0].find("span", "l")
    assert len(spec_lines) == len(report.model.source.splitlines())


def test_marks_on_lifelines_and_sessions() -> None:
    nspk = parse(document(tipasp.check(EXAMPLES / "nspk.tip")))
    (msc,) = nspk.find("svg", "msc")[:1]
    sessions = msc.find("g", "session")
    assert [s.attrs["data-session"] for s in sessions] == ["s1", "s2"]
    assert "A = alice, B = eve" in sessions[0].text()
    eve = [g for g in msc.find("g", "lifeline") if g.attrs["data-agent"] == "eve"][0]
    assert "adv" in eve.classes and "intruder" in eve.text()

    ns = parse(document(tipasp.check(EXAMPLES / "needham_schroeder.tip")))
    eve = [g for g in ns.find("g", "lifeline") if g.attrs["data-agent"] == "eve"][0]
    assert "eaves" in eve.classes

    ss = parse(document(tipasp.check(EXAMPLES / "secure_sum.tip")))
    lines = {g.attrs["data-agent"]: g for g in ss.find("svg", "msc")[0].find("g", "lifeline")}
    assert set(lines) == {"server", "u[i]"}  # the family folded
    assert "collude C1: u[2], u[5]" in lines["u[i]"].text()
    assert "collude C1" in lines["server"].text()
    broadcast = ss.find("svg", "msc")[0].find("g", "msg")[1]
    assert len(broadcast.find("line")) == 1 and "bcast" in broadcast.find("line")[0].classes

    ks = parse(document(tipasp.check(EXAMPLES / "key_server.tip")))
    loop = ks.find("svg", "msc")[0].find("g", "msg")[2]  # u[i] -> u[j]
    assert loop.find("path") and "u[i] -> u[j]" in loop.text()


def test_a_whole_view_shows_each_value_with_its_proof(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "agent a, b\nsecret x @ a\nsecret y @ a\nrandom r @ a\n"
                                "a -> b : (x, y, enc(r, y))\nquery what b learns\n")
    report = tipasp.check(spec)
    root = parse(document(report))
    check_page(root, report)
    (res,) = root.find("details", "result")
    assert len(res.find("svg", "dag")) == 2  # x and y, each with its own proof


def test_long_terms_are_cut_with_the_full_text_in_a_tooltip(tmp_path: Path) -> None:
    long = " + ".join(f"x[{i}]" for i in range(1, 31))
    spec = write_spec(tmp_path, f"agent a, b\nsecret x[i] @ a for i in 1..30\n"
                                f"a -> b : {long}\nquery b learns x[1]\n")
    root = parse(document(tipasp.check(spec)))
    (msg,) = root.find("svg", "msc")[0].find("g", "msg")
    title = msg.find("title")[0].text()
    label = [t for t in msg.find("text") if "lbl" in t.classes][0].text()
    assert long in title and label.endswith("\u2026") and len(label) < len(long)


HOSTILE = """\
# </pre></script><script>alert("comment")</script> <!-- & "quotes" 'single' -->
agent script, b   # <img src=x onerror=alert(1)>
secret x @ script
script -> b : x   # <b>bold</b> ]]>
query who learns x
assert not b learns x   # </details></summary>
"""


def test_every_piece_of_spec_text_is_escaped(tmp_path: Path) -> None:
    name = "<script>alert('name')<\\script>&\".tip"  # no slash in a file name
    spec = write_spec(tmp_path, HOSTILE, name=name)
    report = tipasp.check(spec)
    page = document(report)
    root = parse(page)
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "<img" not in page and "<b>" not in page and "<!--" not in page
    assert not [n for n in root.walk() if n.tag in ("img", "b")]
    # the text comes back verbatim
    spec_text = root.find("pre", "spec")[0].text()
    for line in HOSTILE.splitlines():
        assert line in spec_text
    assert name in root.find("title")[0].text() and name in root.find("h1")[0].text()
    for n in root.walk():  # no event handler attribute anywhere
        assert not any(a.startswith("on") for a in n.attrs), n.attrs
    check_page(root, report)
    self_contained(root, page)


# ---------------------------------------------------------------------- the CLI


def test_report_writes_the_page_and_prints_nothing(capsys, tmp_path: Path) -> None:
    out_file = tmp_path / "report.html"
    code, out, err = run_main(capsys, "report", str(EXAMPLES / "secure_sum.tip"),
                              "-o", str(out_file))
    assert (code, out, err) == (0, "", "")
    page = out_file.read_text()
    check_page(parse(page), tipasp.check(EXAMPLES / "secure_sum.tip"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tipasp-")]


def test_report_exit_codes_follow_check(capsys, tmp_path: Path) -> None:
    out_file = tmp_path / "nspk.html"
    code, out, err = run_main(capsys, "report", str(EXAMPLES / "nspk.tip"), "-o", str(out_file))
    assert (code, out, err) == (1, "", "")  # the assertion fails; the page is written
    assert "FAILS" in out_file.read_text()

    bad = write_spec(tmp_path, "agent a\nsecret x @ b\n")
    code, out, err = run_main(capsys, "report", bad, "-o", str(tmp_path / "bad.html"))
    assert code == 2 and out == "" and "undeclared agent 'b'" in err
    assert not (tmp_path / "bad.html").exists()

    code, out, err = run_main(capsys, "report", str(EXAMPLES / "secure_sum.tip"),
                              "-o", str(tmp_path / "no" / "such" / "dir.html"))
    assert code == 3 and out == "" and "cannot write the output" in err

    with pytest.raises(SystemExit) as exc:
        main_args = ["report", str(EXAMPLES / "secure_sum.tip")]  # -o is required
        from tipasp.cli import main

        main(main_args)
    assert exc.value.code == 2
    capsys.readouterr()


def test_report_takes_the_common_options(capsys, tmp_path: Path) -> None:
    code, out, err = run_main(capsys, "report", str(EXAMPLES / "secure_sum.tip"), "-o", "-",
                              "--set", "N=6", "--guess-bits", "20", "--max-coalition", "3",
                              "--timeout", "300", "--memory", "0", "--progress", "off")
    assert code == 0 and err == ""
    assert "N = 6" in out and out.startswith("<!DOCTYPE html>")
    report = tipasp.check(EXAMPLES / "secure_sum.tip", {"N": 6}, max_coalition=3,
                          guess_bits=20)
    check_page(parse(out), report)


# ----------------------------------------------------------------- in a browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """The browser, or a failed test saying how to get it (never a skip)."""
    path = os.environ.get("TIPASP_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        pytest.fail("the HTML report tests need Debian's chromium: `apt-get install -y "
                    "chromium` (.ci/run installs it), or set TIPASP_CHROMIUM to a "
                    "Chromium binary")
    return path


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish in 180 s: {' '.join(cmd)}")
    except OSError as err:
        pytest.fail(f"chromium cannot run on this machine ({err}): {' '.join(cmd)}")
    if run.returncode != 0:
        pytest.fail(f"chromium cannot run on this machine (exit {run.returncode}):\n"
                    f"{run.stderr[-3000:]}")
    return run


def console_errors(stderr: str) -> list[str]:
    """The page's console messages and uncaught errors in chromium's log."""
    return [ln for ln in stderr.splitlines()
            if "Uncaught" in ln or ":CONSOLE" in ln or "console" in ln.lower()
            and "error" in ln.lower()]


@pytest.mark.parametrize("name", ["secure_sum", "nspk"])
def test_the_browser_renders_every_result_and_step(name: str, tmp_path: Path) -> None:
    report = tipasp.check(EXAMPLES / f"{name}.tip")
    page = tmp_path / f"{name}.html"
    page.write_text(document(report))
    run = run_chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom",
                       page.as_uri())
    # the DOM after the browser parsed the page and ran its script (which marks the
    # page): the same content
    assert '<html lang="en" class="js">' in run.stdout, run.stdout[:300]
    root = parse(run.stdout, strict=False)
    check_page(root, report)
    assert not console_errors(run.stderr), console_errors(run.stderr)


def test_the_console_check_sees_a_broken_page(tmp_path: Path) -> None:
    """The console check above is not blind: a page with an error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>nosuchfunction();"
                    "</script></body></html>")
    run = run_chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom",
                       page.as_uri())
    assert console_errors(run.stderr)


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, head = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert head is not None, "no IHDR"
    width, height, depth, ctype, _, _, interlace = head
    assert depth == 8 and ctype in (2, 6) and interlace == 0, head
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        else:
            assert f == 0, f"bad filter {f}"
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def test_a_screenshot_of_the_page_is_a_real_picture(tmp_path: Path) -> None:
    page = tmp_path / "secure_sum.html"
    page.write_text(document(tipasp.check(EXAMPLES / "secure_sum.tip")))
    png = tmp_path / "shot.png"
    run_chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,2000", page.as_uri())
    data = png.read_bytes()
    assert len(data) > 20_000  # a page of text and drawings, not a blank
    width, height, rows = read_png(data)
    assert (width, height) == (1200, 2000)
    bpp = len(rows[0]) // width
    colours: set[bytes] = set()
    dark = 0
    for row in rows[::4]:
        for x in range(0, len(row), bpp * 3):
            px = row[x:x + 3]
            colours.add(px)
            dark += sum(px) < 200
    assert len(colours) > 20, f"{len(colours)} colours: an empty page?"
    assert dark > 500, "hardly any text or lines on the page"
    # the narration chart and the proof graph are in colour (not only black on white)
    assert any(abs(p[0] - p[2]) > 30 for p in colours)
