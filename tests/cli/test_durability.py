"""Fault tests of `dareg up` (docs/durability.md): SIGKILL of anvil, of the whole stack and of
the service mid-issuance, each at seeded random moments right after acknowledged writes.
Every acknowledged write is there after the restart, with its block and registration number,
no number goes to two applicants, and the mirror matches the chain (`dareg audit`)."""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from eth_account.signers.local import LocalAccount

from registry.chain.client import DEV_ADMIN_INDEX, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.chain.journal import Journal
from registry.chain.node import node_rpc
from registry.context import RegistryContext
from registry.domain.registration import RegistrarPolicy
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.cli.conftest import StackEnv
from tests.registry.registration.conftest import metadata

pytestmark = pytest.mark.slow

CODE = 440
NOTICE = 86_400 * 15
SEED = 20261207


def staff() -> LocalAccount:
    return dev_account(7)


def holder(index: int) -> LocalAccount:
    return dev_account(1 + index % 5)


# --- the stack and its processes -------------------------------------------------------------


def anvil_pid(process: Any) -> int | None:
    """The pid of the anvil child of the ``dareg up`` process, if one runs."""
    for task in Path(f"/proc/{process.pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"anvil" in command.split(b"\0")[0]:
                return int(child)
    return None


def wait_port_free(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
                return
            except OSError:
                time.sleep(0.1)
    raise AssertionError(f"port {port} still in use after {timeout} s")


def wait_chain(stack: StackEnv, head: int, timeout: float = 60) -> None:
    """Until the API answers again with the chain at ``head`` or beyond."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, health = stack.get("/api/v1/health")
            if status == 200 and int(health["chain_head"]) >= head:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the chain did not come back to block {head}: {stack.log()[-3000:]}")


def wait_indexed(stack: StackEnv, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, health = stack.get("/api/v1/health")
        if status == 200 and health["indexer_head"] == health["chain_head"]:
            return
        time.sleep(0.2)
    raise AssertionError("the indexer did not catch up")


def settings_of(stack: StackEnv) -> Settings:
    return Settings(
        var_dir=stack.var_dir,
        node_port=int(stack.env["DAREG_NODE_PORT"]),
        api_port=int(stack.env["DAREG_API_PORT"]),
    )


def configure_registrar(stack: StackEnv) -> None:
    """Registrar 440 with :func:`staff` as its account, set up by the admin (journaled too:
    this process writes to the embedded chain like a CLI command)."""
    context = RegistryContext.open(settings_of(stack))
    try:
        admin = dev_account(DEV_ADMIN_INDEX)
        context.registrations.configure_registrar(
            CODE, RegistrarPolicy(True, True, False, NOTICE), admin, name="广东省数据资产登记中心"
        )
        context.registrations.set_registrar_account(CODE, staff().address, admin)
    finally:
        context.engine.dispose()


#: Tables of the mirror compared with a fresh sync: blocks, raw events and what they became.
MIRRORED = ("block", "raw_event", "evidence", "registration")


def rows_of(url: str, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table``, sorted (without a surrogate ``id``: numbering is the writer's)."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            columns = [
                c["name"]
                for c in sqlalchemy.inspect(connection).get_columns(table)
                if c["name"] != "id"
            ]
            selected = ", ".join(f'"{c}"' for c in columns)
            result = connection.execute(sqlalchemy.text(f'SELECT {selected} FROM "{table}"'))
            return sorted((tuple(row) for row in result), key=repr)
    finally:
        engine.dispose()


@dataclass
class Acknowledged:
    """The writes the stack acknowledged, as it answered them."""

    anchors: dict[str, tuple[str, int]] = field(default_factory=dict)  # fp: (tx, block)
    applications: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (number, who)
    accepted: set[int] = field(default_factory=set)  # accepted from the CLI
    head: int = 0


class Writer:
    """Acknowledged writes over REST (and the CLI), remembered for the checks after a crash."""

    def __init__(self, stack: StackEnv, rng: random.Random, tmp: Path) -> None:
        self.stack = stack
        self.rng = rng
        self.tmp = tmp
        self.acked = Acknowledged()
        self.fingerprint_bytes = list(range(16, 250))
        rng.shuffle(self.fingerprint_bytes)
        self.count = 0

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.stack.api, timeout=30)

    def anchor(self, api: httpx.Client) -> None:
        account = holder(self.count)
        self.count += 1
        fp = "0x" + self.rng.randbytes(32).hex()
        session = sign_in(api, account)  # type: ignore[arg-type]
        body = {"fingerprint": fp, "anchorer": account.address}
        typed = api.post("/api/v1/evidence/typed-data", json=body, headers=session).json()
        signature = "0x" + sign_typed_data(typed, account).hex()
        body |= {"deadline": typed["message"]["deadline"], "signature": signature}
        answer = api.post("/api/v1/evidence", json=body, headers=session)
        assert answer.status_code == 201, answer.text
        record = answer.json()
        self.acked.anchors[fp] = (record["tx_hash"], record["block_number"])
        self.acked.head = max(self.acked.head, record["block_number"])

    def apply(self, api: httpx.Client) -> dict[str, Any]:
        account = holder(self.count)
        self.count += 1
        headers = sign_in(api, account)  # type: ignore[arg-type]
        doc = metadata(account.address, self.fingerprint_bytes.pop()).model_dump(
            mode="json", by_alias=True
        )
        draft = api.post(
            "/api/v1/applications/typed-data",
            json={"registrar_code": CODE, "applicant": account.address, "metadata": doc},
            headers=headers,
        )
        assert draft.status_code == 200, draft.text
        typed = draft.json()
        signature = "0x" + sign_typed_data(typed["typed_data"], account).hex()
        created = api.post(
            "/api/v1/applications",
            json={
                "registrar_code": CODE,
                "applicant": account.address,
                "metadata": doc,
                "deadline": typed["deadline"],
                "signature": signature,
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        reg = dict(created.json())
        self.acked.applications[int(reg["id"])] = (reg["registration_number"], account.address)
        status, health = self.stack.get("/api/v1/health")
        assert status == 200
        self.acked.head = max(self.acked.head, int(health["chain_head"]))
        return reg

    def cli_accept(self, reg_id: int) -> None:
        """The registrar accepts an application from the CLI (its own transaction, from its
        own account: the operator's nonce stays the API's, issue 15's other part)."""
        key_file = self.tmp / "staff.key"
        key_file.write_text(staff().key.hex())
        result = self.stack.run(
            "review", "accept", str(reg_id), "--key-file", str(key_file), "--json", timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        self.acked.accepted.add(reg_id)
        status, health = self.stack.get("/api/v1/health")
        assert status == 200
        self.acked.head = max(self.acked.head, int(health["chain_head"]))

    def check(self) -> None:
        """Every acknowledged write is on the chain as it was answered; no registration number
        went to two applicants."""
        with self.client() as api:
            for fp, (tx_hash, block) in self.acked.anchors.items():
                status, found = self.stack.get(f"/api/v1/evidence/{fp}")
                assert status == 200, (fp, found)
                assert (found["tx_hash"], found["block_number"]) == (tx_hash, block)
            reader = sign_in(api, staff())  # type: ignore[arg-type]
            numbers: dict[str, int] = {}
            for reg_id, (number, applicant) in self.acked.applications.items():
                found = api.get(f"/api/v1/applications/{reg_id}", headers=reader)
                assert found.status_code == 200, found.text
                assert found.json()["registration_number"] == number
                assert found.json()["holder"] == applicant
                if reg_id in self.acked.accepted:
                    assert found.json()["status"] == "accepted"
                by_number = api.get(f"/api/v1/registrations/{number}", headers=reader)
                assert by_number.json()["id"] == reg_id
                assert number not in numbers
                numbers[number] = reg_id

    def audit(self) -> None:
        """The mirror equals the chain: the indexer caught up, `dareg audit` finds no drift and
        lists exactly the acknowledged anchors."""
        wait_indexed(self.stack)
        audited = self.stack.run("audit", "--json", timeout=120)
        assert audited.returncode == 0, audited.stdout + audited.stderr
        _, listed = self.stack.get("/api/v1/evidence?limit=500")
        assert {item["fingerprint"] for item in listed["items"]} == set(self.acked.anchors)
        # and it holds what a fresh sync of the chain into an empty database holds
        fresh = f"sqlite:///{self.tmp / 'fresh.db'}"
        synced = self.stack.run("index", "--quiet", env={"DAREG_DATABASE_URL": fresh})
        assert synced.returncode == 0, synced.stdout + synced.stderr
        live = f"sqlite:///{self.stack.var_dir / 'registry.db'}"
        for table in MIRRORED:
            assert rows_of(live, table) == rows_of(fresh, table), table


#: Seconds between checkpoints in these tests: kills land before and after them.
INTERVAL = 3


@pytest.fixture
def stack(stack_env: StackEnv) -> StackEnv:
    stack_env.env["DAREG_STATE_INTERVAL"] = str(INTERVAL)
    return stack_env


def pause(rng: random.Random, round_: int) -> None:
    """A seeded random moment: every other round soon after the writes (before the next
    checkpoint, so the journal must bring them back), else anywhere up to past a checkpoint."""
    time.sleep(rng.uniform(0, 0.3) if round_ % 2 == 0 else rng.uniform(0, INTERVAL + 1))


def _start(stack: StackEnv) -> Any:
    process = stack.start()
    stack.wait_healthy(process)
    return process


def _finish(stack: StackEnv, process: Any) -> None:
    if process.poll() is None:
        assert stack.stop(process) == 0, stack.log()[-3000:]


# --- the tests ------------------------------------------------------------------------------


def test_sigkill_of_anvil_after_acknowledged_writes_loses_none(
    stack: StackEnv, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    process = _start(stack)
    try:
        configure_registrar(stack)
        writer = Writer(stack, rng, tmp_path)
        for round_ in range(4):
            with writer.client() as api:
                writer.anchor(api)
                reg = writer.apply(api)
            if round_ == 0:
                writer.cli_accept(int(reg["id"]))
            pause(rng, round_)
            pid = anvil_pid(process)
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while anvil_pid(process) in (pid, None) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert process.poll() is None, stack.log()[-3000:]  # no zombie, no exit: restarted
            wait_chain(stack, writer.acked.head)
            writer.check()
        with writer.client() as api:  # a new applicant gets a new number
            writer.apply(api)
        writer.check()
        writer.audit()
        assert stack.log().count("the embedded node is back") == 4
        assert "replayed" in stack.log()  # at least one crash came before a checkpoint
    finally:
        _finish(stack, process)


def test_sigkill_of_the_whole_stack_after_acknowledged_writes_loses_none(
    stack: StackEnv, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 1)
    process = _start(stack)
    try:
        configure_registrar(stack)
        writer = Writer(stack, rng, tmp_path)
        for round_ in range(3):
            with writer.client() as api:
                writer.anchor(api)
                reg = writer.apply(api)
            if round_ == 1:
                writer.cli_accept(int(reg["id"]))
            pause(rng, round_)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            wait_port_free(int(stack.env["DAREG_NODE_PORT"]))  # anvil dies with its parent
            process = _start(stack)
            wait_chain(stack, writer.acked.head)
            writer.check()
        with writer.client() as api:
            writer.apply(api)
        writer.check()
        writer.audit()
    finally:
        _finish(stack, process)


def _accept_and_notice(api: httpx.Client, reg_id: int) -> None:
    """The registrar accepts ``reg_id`` and opens its public notice (signed, relayed)."""
    headers = sign_in(api, staff())  # type: ignore[arg-type]
    for step in ("accept", "notice"):
        prepared = api.post(
            f"/api/v1/applications/{reg_id}/{step}/prepare",
            json={"signer": staff().address},
            headers=headers,
        )
        assert prepared.status_code == 200, prepared.text
        p = prepared.json()
        signature = "0x" + sign_typed_data(p["typed_data"], staff()).hex()
        relayed = api.post(
            "/api/v1/relay", json={"request": p["request"], "signature": signature}, headers=headers
        )
        assert relayed.status_code == 201, relayed.text


def test_sigkill_of_the_service_mid_issuance_then_a_retry_makes_one_certificate(
    stack: StackEnv, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 2)
    process = _start(stack)
    node_url = f"http://127.0.0.1:{stack.env['DAREG_NODE_PORT']}"
    try:
        configure_registrar(stack)
        writer = Writer(stack, rng, tmp_path)
        with writer.client() as api:
            regs = [writer.apply(api) for _ in range(3)]
            for reg in regs:
                _accept_and_notice(api, int(reg["id"]))
        # past the notice window; wait for a checkpoint to hold the jump (no transaction
        # carries it)
        state = stack.var_dir / "chain" / "state.json"
        before = state.stat().st_mtime
        node_rpc(node_url, "evm_increaseTime", [NOTICE + 60])
        node_rpc(node_url, "evm_mine")
        deadline = time.monotonic() + 20
        while state.stat().st_mtime == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state.stat().st_mtime != before
        for round_, reg in enumerate(regs):
            reg_id = int(reg["id"])
            with writer.client() as api:
                headers = sign_in(api, staff())  # type: ignore[arg-type]
                prepared = api.post(
                    f"/api/v1/applications/{reg_id}/issue/prepare",
                    json={"signer": staff().address},
                    headers=headers,
                )
                assert prepared.status_code == 200, prepared.text
                p = prepared.json()
                body = {
                    "request": p["request"],
                    "signature": "0x" + sign_typed_data(p["typed_data"], staff()).hex(),
                }
                answers: list[int] = []

                def relay(
                    api: httpx.Client = api,
                    body: dict[str, Any] = body,
                    headers: dict[str, str] = headers,
                    answers: list[int] = answers,
                ) -> None:
                    try:
                        answers.append(
                            api.post("/api/v1/relay", json=body, headers=headers).status_code
                        )
                    except httpx.HTTPError:
                        answers.append(0)  # the service died under it

                sender = threading.Thread(target=relay)
                sender.start()
                # first most likely before the transaction leaves, then anywhere in the request
                time.sleep(rng.uniform(0, 0.03) if round_ == 0 else rng.uniform(0, 0.6))
                os.kill(process.pid, signal.SIGKILL)  # the service only: anvil dies with it
                sender.join(timeout=60)
                process.wait(timeout=30)
            wait_port_free(int(stack.env["DAREG_NODE_PORT"]))
            process = _start(stack)
            with writer.client() as api:
                headers = sign_in(api, staff())  # type: ignore[arg-type]
                retried = api.post("/api/v1/relay", json=body, headers=headers)
                assert retried.status_code in (201, 409), retried.text
                if answers == [201]:  # acknowledged: the retry is a replay of a used request
                    assert retried.status_code == 409, retried.text
                found = api.get(f"/api/v1/applications/{reg_id}", headers=headers).json()
                assert found["status"] == "issued", (found, answers, retried.text)
                assert len(found["certificate_number"]) == 17
        writer.check()
        wait_indexed(stack)
        context = RegistryContext.open(settings_of(stack))
        try:
            registry = context.manifest.address_of("DataAssetRegistry")
            for reg in regs:  # each holder holds exactly the one certificate
                applicant = writer.acked.applications[int(reg["id"])][1]
                held = context.client.read("DataAssetRegistry", registry, "balanceOf", [applicant])
                assert held == 1, reg
        finally:
            context.engine.dispose()
        writer.audit()
    finally:
        _finish(stack, process)


def test_a_node_that_cannot_be_restarted_stops_the_stack_with_one_sentence(
    stack: StackEnv,
) -> None:
    process = _start(stack)
    try:
        journal = Journal(stack.var_dir / "chain" / "journal.jsonl")
        deadline = time.monotonic() + 30
        while journal.entries() and time.monotonic() < deadline:
            time.sleep(0.1)  # the first checkpoint holds the deployment: no more to write
        assert journal.entries() == []
        state = stack.var_dir / "chain" / "state.json"
        state.write_bytes(state.read_bytes()[:1000])  # a damaged checkpoint: anvil refuses it
        pid = anvil_pid(process)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert process.wait(timeout=60) == 1
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    errors = [line for line in stack.log().splitlines() if line.startswith("dareg: error:")]
    assert len(errors) == 1, stack.log()[-3000:]
    assert "the embedded chain node (anvil) died and could not be restarted" in errors[0]
