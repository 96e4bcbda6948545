"""``dareg prove``: the README's example as written, and an output file that is a symbolic link
(refused, its target untouched; the proof is written atomically)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import DAREG

README = Path(__file__).resolve().parents[2] / "README.md"


def dareg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DAREG, *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A working directory holding the dataset ``data/`` of the README's examples."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("id,value\n1,10\n2,20\n", encoding="utf-8")
    (data / "b.csv").write_text("id,value\n3,30\n", encoding="utf-8")
    (data / "sub" / "c.csv").write_text("id\n4\n", encoding="utf-8")
    return tmp_path


def readme_commands(*names: str) -> list[list[str]]:
    """The README's ``.venv/bin/dareg NAME …`` lines for ``names``, in order, as arguments."""
    found: list[list[str]] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith((".venv/bin/dareg prove ", ".venv/bin/dareg verify-proof ")):
            continue
        words = shlex.split(line, comments=True)
        if len(words) > 1 and words[0] == ".venv/bin/dareg" and words[1] in names:
            found.append(words[1:])
    return found


def test_the_readmes_prove_example_works_as_written(dataset: Path) -> None:
    commands = readme_commands("prove", "verify-proof")
    assert [c[0] for c in commands] == ["prove", "verify-proof"]
    assert commands[0][:4] == ["prove", "data/", "--member", "data/a.csv"]
    for args in commands:
        done = dareg(dataset, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "proof verifies" in done.stdout
    assert '"path": "a.csv"' in (dataset / "proof.json").read_text(encoding="utf-8")


def test_a_member_is_named_from_the_dataset_or_from_here(dataset: Path) -> None:
    from_dataset = dareg(dataset, "prove", "data", "--member", "sub/c.csv")
    from_here = dareg(dataset, "prove", "data", "--member", "data/sub/c.csv")
    assert from_dataset.returncode == 0, from_dataset.stderr
    assert from_dataset.stdout == from_here.stdout
    # data/data/a.csv and data/a.csv both exist: the name is ambiguous
    (dataset / "data" / "data").mkdir()
    (dataset / "data" / "data" / "a.csv").write_text("other\n", encoding="utf-8")
    ambiguous = dareg(dataset, "prove", "data", "--member", "data/a.csv")
    assert ambiguous.returncode != 0
    assert "names two files" in ambiguous.stderr


def test_prove_refuses_to_write_through_a_symbolic_link(dataset: Path) -> None:
    victim = dataset / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = dataset / "proof.json"
    link.symlink_to(victim)
    refused = dareg(dataset, "prove", "data/", "--member", "data/a.csv", "-o", "proof.json")
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "symbolic link" in refused.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert link.is_symlink()
    # a dangling link is refused too (nothing is created at its target)
    dangling = dataset / "dangling.json"
    dangling.symlink_to(dataset / "nowhere.json")
    again = dareg(dataset, "prove", "data/", "--member", "data/a.csv", "-o", "dangling.json")
    assert again.returncode != 0
    assert not (dataset / "nowhere.json").exists()


def test_prove_replaces_a_plain_file_and_leaves_no_temporary_file(dataset: Path) -> None:
    out = dataset / "out"
    out.mkdir()
    (out / "proof.json").write_text("old\n", encoding="utf-8")
    done = dareg(dataset, "prove", "data/", "--member", "data/a.csv", "-o", "out/proof.json")
    assert done.returncode == 0, done.stderr
    assert (out / "proof.json").read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in out.iterdir()) == ["proof.json"]
    directory = dareg(dataset, "prove", "data/", "--member", "data/a.csv", "-o", "out")
    assert directory.returncode != 0
    assert "is a directory" in directory.stderr
