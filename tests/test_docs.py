"""Every `$ tipasp ...` example in docs/*.md prints what the page says it prints.

The pages show commands with their output (```console blocks), run from the root
of the repository; specs that are not in examples/ are shown in full under a
`<!-- file: NAME -->` marker. Each command is run here, in a scratch directory
holding examples/ and those files, and its output compared with the page's.
Commands that redirect their output (`> file`) are skipped: the page shows only
what reaches the terminal. Pipes are run by the shell.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
FILE = re.compile(r"<!-- file: (\S+) -->\n`[^`]+`:\n\n```\n(.*?)```", re.S)
CONSOLE = re.compile(r"```console\n(.*?)```", re.S)


def _examples(doc: Path) -> list[tuple[str, str]]:
    out = []
    for block in CONSOLE.findall(doc.read_text()):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            cmd, _, shown = part.partition("\n")
            if cmd.startswith("tipasp ") and ">" not in cmd.replace("->", ""):
                out.append((cmd, shown))
    return out


CASES = [(doc, cmd, shown) for doc in DOCS for cmd, shown in _examples(doc)]


def test_the_pages_have_examples() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize(("doc", "cmd", "shown"), CASES,
                         ids=[f"{d.name}:{c[:60]}" for d, c, _ in CASES])
def test_a_documented_command_prints_what_the_page_shows(
        doc: Path, cmd: str, shown: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for name, text in FILE.findall(doc.read_text()):
        (tmp_path / name).write_text(text)
    # the installed tipasp of this interpreter; pipes (`| tail -18`) go to the shell
    line = f"{shlex.quote(sys.executable)} -m tipasp.cli" + cmd[len("tipasp"):]
    run = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert (run.stdout + run.stderr).strip() == shown.strip()
