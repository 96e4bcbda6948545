"""CLI commands: output, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import StackEnv
from tests.conftest import free_port


def test_fingerprint_prints_the_root_and_json(stack_env: StackEnv, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n")
    text = stack_env.run("fingerprint", str(data))
    assert text.returncode == 0
    assert text.stdout.strip().startswith("0x")
    assert len(text.stdout.strip()) == 66
    as_json = json.loads(stack_env.run("fingerprint", str(data), "--json").stdout)
    assert as_json == {
        "fingerprint": text.stdout.strip(),
        "algorithm": "dfp1",
        "kind": "directory",
        "files": 1,
        "bytes": 4,
    }


def test_missing_path_and_empty_directory_exit_2_with_one_line(
    stack_env: StackEnv, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    (empty / "nested").mkdir(parents=True)
    for args in (
        ["fingerprint", str(tmp_path / "nope")],
        ["anchor", str(tmp_path / "nope")],
        ["fingerprint", str(empty)],
    ):
        result = stack_env.run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("dareg: error: ")
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


def test_unreachable_chain_names_the_setting(stack_env: StackEnv, tmp_path: Path) -> None:
    data = tmp_path / "a.txt"
    data.write_text("hello")
    result = stack_env.run(
        "verify", str(data), env={"DAREG_RPC_URL": f"http://127.0.0.1:{free_port()}"}
    )
    assert result.returncode == 1
    assert "DAREG_RPC_URL" in result.stderr
    assert result.stderr.count("\n") == 1


def test_deployment_without_a_manifest_is_a_clear_error(stack_env: StackEnv) -> None:
    result = stack_env.run("deployment")
    assert result.returncode == 1
    assert "no deployment recorded" in result.stderr


def test_prove_and_offline_verify(stack_env: StackEnv, tmp_path: Path) -> None:
    data = tmp_path / "set"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("a\n")
    (data / "sub" / "b.csv").write_text("b\n")
    proof = tmp_path / "proof.json"
    made = stack_env.run(
        "prove", str(data), "--member", str(data / "sub" / "b.csv"), "-o", str(proof)
    )
    assert made.returncode == 0, made.stderr
    copy = tmp_path / "copy.csv"
    copy.write_text("b\n")
    ok = stack_env.run("verify-proof", str(proof), "--member", str(copy))
    assert ok.returncode == 0, ok.stderr
    copy.write_text("B\n")
    bad = stack_env.run("verify-proof", str(proof), "--member", str(copy))
    assert bad.returncode == 3
    assert "does not verify" in bad.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert stack_env.run("verify-proof", str(garbage)).returncode == 2
    assert stack_env.run("prove", str(data)).returncode == 2


def test_a_mistyped_option_is_a_usage_error_not_a_traceback(stack_env: StackEnv) -> None:
    for args in (
        ["check-certificate", "20261144000000124", "--block", "abc"],
        ["audit", "--from-block", "abc"],
        ["index", "--nonsense"],
    ):
        done = stack_env.run(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert "Invalid value" in done.stderr or "No such option" in done.stderr
