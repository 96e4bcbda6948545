"""One durable atomic write for every file dareg relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.files import write_atomically


def test_a_replacement_leaves_the_whole_new_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "chain" / "state.json"
    assert write_atomically(target, b"old")
    assert write_atomically(target, b'{"new": true}')
    assert target.read_bytes() == b'{"new": true}'
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


def test_exclusive_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    assert write_atomically(target, b"first", mode=0o600, exclusive=True)
    assert not write_atomically(target, b"second", mode=0o600, exclusive=True)
    assert target.read_bytes() == b"first"
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]


def test_a_link_at_the_target_is_replaced_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    write_atomically(link, b"written")
    assert not link.is_symlink()
    assert link.read_bytes() == b"written"
    assert victim.read_bytes() == b"keep me"


def test_a_failed_rename_leaves_what_was_there_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "inside").write_bytes(b"old")
    with pytest.raises(IsADirectoryError):
        write_atomically(target, b"new")  # a directory cannot be replaced by a file
    assert (target / "inside").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
