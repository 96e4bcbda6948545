"""The embedded chain's write-ahead journal: order, sync, torn lines, refusals, compaction."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
import requests

from registry.chain.journal import Journal, JournalEntry
from registry.errors import ChainUnreachableError, NodeStartError


def _send(journal: Journal, n: int, sender: str = "0xabc") -> str:
    digest = "0x" + f"{n:064x}"
    with journal.sending(bytes([n % 256]) * 3, digest, sender, n):
        pass
    return digest


def test_entries_keep_the_send_order_with_where_each_was_mined(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "chain" / "journal.jsonl")
    first, second, third = (_send(journal, n) for n in (1, 2, 3))
    journal.mined(second, 12, 0x6B16F77D)
    journal.mined(first, 11, 1796667000)
    entries = journal.entries()
    assert [e.hash for e in entries] == [first, second, third]
    assert (entries[0].block, entries[0].timestamp) == (11, 1796667000)
    assert (entries[1].block, entries[1].timestamp) == (12, 0x6B16F77D)
    assert entries[2].block is None
    assert entries[2].timestamp is None
    assert entries[0].raw == "0x010101"
    assert entries[0].nonce == 1


def test_a_refusal_is_recorded_but_an_unknown_outcome_is_not(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    with pytest.raises(ValueError, match="nonce too low"), journal.sending(b"\x01", "0x01", "a", 1):
        raise ValueError("nonce too low")
    refused = ChainUnreachableError("cannot reach the chain")
    refused.__cause__ = requests.ConnectionError(ConnectionRefusedError(111, "refused"))
    with pytest.raises(ChainUnreachableError), journal.sending(b"\x02", "0x02", "a", 2):
        raise refused
    # as the client raises it when the request may have reached the node
    timed_out = ChainUnreachableError("the chain did not answer", tx_hash="0x03", outcome="unknown")
    with pytest.raises(ChainUnreachableError), journal.sending(b"\x03", "0x03", "a", 3):
        raise timed_out  # the node may have it: the replay settles it
    by_hash = {e.hash: e for e in journal.entries()}
    assert by_hash["0x01"].refused == "nonce too low"
    assert by_hash["0x02"].refused == "node not listening"
    assert by_hash["0x03"].refused is None


def test_a_line_cut_short_by_a_crash_is_ignored_a_damaged_one_is_not(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    kept = _send(journal, 1)
    with journal.path.open("a") as handle:
        handle.write('{"op":"send","hash":"0x02","ra')  # the crash hit mid-write: never synced
    assert [e.hash for e in journal.entries()] == [kept]
    with journal.path.open("a") as handle:
        handle.write("\n")
    _send(journal, 3)
    with pytest.raises(NodeStartError, match="damaged at line 2"):
        journal.entries()


def test_compaction_drops_what_a_checkpoint_holds_and_keeps_the_rest(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    hashes = [_send(journal, n) for n in range(1, 5)]
    for block, digest in enumerate(hashes[:3], start=20):
        journal.mined(digest, block, 1000 + block)
    with journal.locked():
        left = journal.compact(lambda e: e.block is not None and e.block <= 21)
    assert left == 2
    entries = journal.entries()
    assert [e.hash for e in entries] == hashes[2:]
    assert (entries[0].block, entries[0].timestamp) == (22, 1022)
    # a receipt recorded after its send was compacted away is ignored
    journal.mined(hashes[0], 20, 1020)
    assert [e.hash for e in journal.entries()] == hashes[2:]


def test_the_rejected_file_keeps_each_rejected_transaction(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    entry = JournalEntry(hash="0x01", raw="0xf8", sender="0xabc", nonce=4, block=9, timestamp=5)
    journal.reject(entry, "nonce too low")
    (line,) = journal.rejected_path.read_text().splitlines()
    record = json.loads(line)
    assert (record["hash"], record["raw"], record["nonce"]) == ("0x01", "0xf8", 4)
    assert record["reason"] == "nonce too low"


def _append_many(path: str, sender: str) -> None:
    journal = Journal(Path(path))
    for n in range(40):
        with journal.sending(b"\xaa" * 200, f"0x{sender}{n:04d}", sender, n):
            pass


def test_processes_append_whole_lines_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), s)) for s in ("aa", "bb")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    entries = Journal(path).entries()
    assert len(entries) == 80
    for sender in ("aa", "bb"):  # each process's own entries in its own order
        assert [e.nonce for e in entries if e.sender == sender] == list(range(40))
