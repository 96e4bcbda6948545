"""`dareg up` behind a paused embedded node (issue 15): the real server, its indexer thread and
``DAREG_RPC_TIMEOUT`` from the environment. While anvil is stopped (SIGSTOP) ``/health`` and
chain reads answer 503 within the timeout and mirror reads 200; once it continues the stack
works as before."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.cli.conftest import StackEnv
from tests.sick_node import MARGIN

TIMEOUT = 1.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "T"


def test_a_paused_embedded_node_never_hangs_the_stack(stack_env: StackEnv) -> None:
    stack_env.env["DAREG_RPC_TIMEOUT"] = str(TIMEOUT)
    process = stack_env.start()
    try:
        health = stack_env.wait_healthy(process)
        [anvil] = [
            child
            for child in _children(process.pid)
            if Path(f"/proc/{child}/comm").read_text().strip() == "anvil"
        ]
        number = "20264400000000007"  # any well-formed number: the read needs the chain
        os.kill(anvil, signal.SIGSTOP)
        try:
            while not _stopped(anvil):
                time.sleep(0.005)
            for path, expected in (
                ("/api/v1/health", 503),
                (f"/api/v1/certificates/{number}", 503),
                ("/api/v1/evidence", 200),
                ("/api/v1/deployment", 200),
            ):
                start = time.monotonic()
                status, body = stack_env.get(path)
                elapsed = time.monotonic() - start
                assert status == expected, (path, body)
                assert elapsed < TIMEOUT + MARGIN, (path, elapsed)
                if path == "/api/v1/health":
                    assert body["chain_reachable"] is False
                    assert body["indexer_head"] == health["indexer_head"]
                elif expected == 503:
                    assert body["error"]["code"] == "chain_unreachable"
            # a CLI command says so in one line and fails, instead of hanging
            dataset = stack_env.var_dir.parent / "data.csv"
            dataset.write_text("a,b\n1,2\n")
            verified = stack_env.run("verify", str(dataset))
            assert verified.returncode == 1, verified.stdout + verified.stderr
            assert f"did not answer within {TIMEOUT:g} s" in verified.stderr
            time.sleep(2 * TIMEOUT)  # the indexer thread meets the paused node too
        finally:
            os.kill(anvil, signal.SIGCONT)
        assert process.poll() is None, stack_env.log()
        status, body = stack_env.get("/api/v1/health")
        assert status == 200, body
        assert body["chain_reachable"] is True
    finally:
        assert stack_env.stop(process) == 0, stack_env.log()
