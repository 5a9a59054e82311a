"""`tipasp check --format sarif`: a SARIF 2.1.0 log that the official schema accepts
(tests/data/sarif-2.1.0-rtm.5.json: the OASIS schema as shipped, MIT-licensed, in
Microsoft's npm package @microsoft/sarif-matcher-utils 1.0.0-beta.0), with one result
per failed assertion and per spec error, each on the spec's line and column."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import DATA, EXAMPLES, run_main, write_spec

SCHEMA = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text())


def sarif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out, _ = run_main(capsys, "check", *args, "--format", "sarif")
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA)
    return code, log


def test_failed_assertion_is_a_result_on_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, log = sarif(capsys, str(EXAMPLES / "nspk.tip"))
    assert code == 1
    (run,) = log["runs"]
    (res,) = run["results"]
    assert res["ruleId"] == "assertion-failed" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    lines = (EXAMPLES / "nspk.tip").read_text().splitlines()
    assert lines[region["startLine"] - 1][region["startColumn"] - 1:].startswith("assert")
    text = res["message"]["text"]
    assert "attack, 6 events" in text and "eve decrypts" not in text or "s2.nb" in text


def test_holding_assertions_give_no_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, log = sarif(capsys, str(EXAMPLES / "nsl.tip"))
    assert code == 0 and log["runs"][0]["results"] == []


def test_spec_errors_are_results(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_spec(tmp_path, "agent a\nsecret x @ a\na -> b : x\nquery a learns y\n")
    code, log = sarif(capsys, path)
    assert code == 2
    found = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"])
        for r in log["runs"][0]["results"]
    ]
    assert found == [("spec-error", 3, 6), ("spec-error", 4, 16)]
    assert "undeclared" in log["runs"][0]["results"][0]["message"]["text"]


def test_json_and_sarif_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run_main(capsys, "check", str(EXAMPLES / "nsl.tip"), "--json", "--format", "sarif")
    assert info.value.code == 2
