"""The CLI and the API writing at once with the operator key on the same var/ (as `dareg`
commands do while `dareg up` runs): every write goes through and the operator's nonces are
consecutive, none skipped, none reused."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import RegistryContext, make_client
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.api.test_evidence import signed
from tests.cli.conftest import DAREG

WRITES = 3


def tx_nonce(context: RegistryContext, tx_hash: str) -> int:
    return int(context.client.rpc("eth_getTransactionByHash", [tx_hash])["nonce"], 16)


def test_cli_and_api_write_at_once_with_the_operator_key(
    cli_env: dict[str, str], test_settings: Settings, tmp_path: Path
) -> None:
    # the API's own client, sharing var/ (and so the operator's nonce lock) with the CLI
    context = RegistryContext.open(test_settings, client=make_client(test_settings))
    operator = context.operator.address
    before = int(context.client.rpc("eth_getTransactionCount", [operator, "latest"]), 16)
    datasets = []
    for n in range(WRITES):
        folder = tmp_path / f"data{n}"
        folder.mkdir()
        (folder / "a.csv").write_text(f"n,value\n{n},{n * 7}\n")
        datasets.append(folder)
    with TestClient(create_app(context)) as api:
        # one anchorer each (a signed anchor carries its anchorer's nonce)
        anchorers = [dev_account(2 + n) for n in range(WRITES)]
        bodies = [
            (signed(api, "0x" + f"{0x50 + n:02x}" * 32, anchorer), sign_in(api, anchorer))
            for n, anchorer in enumerate(anchorers)
        ]
        commands = [
            subprocess.Popen(
                [DAREG, "anchor", str(folder), "--json"],
                env=cli_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for folder in datasets
        ]

        def post(request: tuple[dict[str, Any], dict[str, str]]) -> Any:
            body, headers = request
            return api.post("/api/v1/evidence", json=body, headers=headers)

        with ThreadPoolExecutor(WRITES) as pool:
            answers = list(pool.map(post, bodies))
        outputs = [command.communicate(timeout=120) for command in commands]
    for command, (_, err) in zip(commands, outputs, strict=True):
        assert command.returncode == 0, err
    for answer in answers:
        assert answer.status_code == 201, answer.text
    hashes = [json.loads(out)["tx_hash"] for out, _ in outputs]
    hashes += [answer.json()["tx_hash"] for answer in answers]
    nonces = sorted(tx_nonce(context, h) for h in hashes)
    assert nonces == list(range(before, before + 2 * WRITES))
    after = int(context.client.rpc("eth_getTransactionCount", [operator, "latest"]), 16)
    assert after == before + 2 * WRITES
    # and the API writes once more after the CLI's: no stale nonce of its own
    with TestClient(create_app(context)) as api:
        last = api.post(
            "/api/v1/evidence",
            json=signed(api, "0x" + "5f" * 32, dev_account(5)),
            headers=sign_in(api, dev_account(5)),
        )
    assert last.status_code == 201, last.text
