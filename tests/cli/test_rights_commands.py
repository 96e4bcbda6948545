"""Transfers, pledges, licences and freezes through the real `dareg` executable against the
session chain."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from eth_account.signers.local import LocalAccount

from registry.context import RegistryContext
from registry.domain.rights import PledgeStatus
from registry.indexer.follow import Indexer
from tests.cli.conftest import run_dareg as _run
from tests.registry.rights.test_service import (
    bank,
    buyer,
    chain_now,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    regulator,
)


def _key(tmp_path: Path, account: LocalAccount, name: str) -> str:
    path = tmp_path / f"{name}.key"
    path.write_text(account.key.hex())
    return str(path)


def _one_line_error(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert text in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def _number(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def test_transfer_and_pledge(cli_env: dict[str, str], ctx: RegistryContext, tmp_path: Path) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    ctx.client.reset_nonces()  # the CLI sends from the operator too, with its own nonce view
    holder_key = _key(tmp_path, holder(), "holder")
    buyer_key = _key(tmp_path, buyer(), "buyer")
    bank_key = _key(tmp_path, bank(), "bank")

    # transfers: bad input exits 2, a contract refusal 1, each on one line
    gift = _run(cli_env, "transfer", number, buyer().address, "--reason", "gift")
    _one_line_error(gift, 2, "--reason 'gift'")
    moved = _run(
        cli_env,
        "transfer",
        number,
        buyer().address,
        "--reason",
        "sale",
        "--document",
        "数据资产转让合同 No. 7",
        "--key-file",
        holder_key,
        "--json",
    )
    assert moved.returncode == 0, moved.stderr
    record = json.loads(moved.stdout)
    assert (record["from_address"], record["to"], record["reason"]) == (
        holder().address,
        buyer().address,
        "sale",
    )
    assert record["document_hash"] is not None
    assert ctx.rights.holder_of(token) == buyer().address
    again = _run(
        cli_env, "transfer", number, holder().address, "--reason", "sale", "--key-file", holder_key
    )
    _one_line_error(again, 1, "AgentNotHolder")
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    mistyped = _run(cli_env, "transfer", typo, holder().address, "--reason", "sale")
    _one_line_error(mistyped, 2, "mistyped")

    # pledges: both parties' keys sign, the operator relays
    maturity = (chain_now(ctx.client) + timedelta(days=180)).date().isoformat()
    args = [
        "pledge",
        number,
        "--pledgee",
        bank().address,
        "--amount",
        "5000000.00",
        "--currency",
        "CNY",
        "--loan-ref",
        "粤农信贷字2026第0042号",
        "--maturity",
        maturity,
        "--holder-key",
        buyer_key,
        "--pledgee-key",
        bank_key,
    ]
    too_fine = [a if a != "5000000.00" else "5000000.001" for a in args]
    _one_line_error(_run(cli_env, *too_fine), 2, "at most 2 decimal places")
    bad_date = [a if a != maturity else "2027-13-01" for a in args]
    _one_line_error(_run(cli_env, *bad_date), 2, "is not a date")
    bad_currency = [a if a != "CNY" else "RMB" for a in args]
    _one_line_error(_run(cli_env, *bad_currency), 2, "ISO 4217")

    pledged = _run(cli_env, *args, "--json")
    assert pledged.returncode == 0, pledged.stderr
    p = json.loads(pledged.stdout)
    assert (p["certificate_number"], p["pledgor"], p["pledgee"]) == (
        number,
        buyer().address,
        bank().address,
    )
    assert (p["secured_amount"], p["currency"], p["status"]) == (5_000_000_00, "CNY", "live")
    assert ctx.rights.live_pledge_of(token) is not None
    second = _run(cli_env, *args)
    _one_line_error(second, 1, "AgentPledgeAlreadyLive")
    blocked = _run(
        cli_env, "transfer", number, holder().address, "--reason", "sale", "--key-file", buyer_key
    )
    _one_line_error(blocked, 1, "AgentPledged")

    # lien search reads the mirror
    ctx.client.reset_nonces()
    head = Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    found = _run(cli_env, "liens", "--certificate", number, "--json")
    assert found.returncode == 0, found.stderr
    liens = json.loads(found.stdout)
    assert liens["indexer_head"] == head
    assert [x["id"] for x in liens["items"]] == [p["id"]]
    by_holder = _run(cli_env, "liens", "--holder", buyer().address)
    assert f"pledge {p['id']}" in by_holder.stdout
    assert f"as of block {head}" in by_holder.stdout
    _one_line_error(_run(cli_env, "liens"), 2, "--holder")

    # only the pledgee releases; consent is a one-off
    wrong = _run(cli_env, "pledge-release", str(p["id"]), "--key-file", buyer_key)
    _one_line_error(wrong, 1, "AgentNotPledgee")
    _one_line_error(
        _run(cli_env, "pledge-consent", str(p["id"]), "lend", holder().address), 2, "'lend'"
    )
    consent = _run(
        cli_env,
        "pledge-consent",
        str(p["id"]),
        "transfer",
        holder().address,
        "--key-file",
        bank_key,
    )
    assert consent.returncode == 0, consent.stderr
    released = _run(cli_env, "pledge-release", str(p["id"]), "--key-file", bank_key, "--json")
    assert released.returncode == 0, released.stderr
    assert json.loads(released.stdout)["status"] == "released"
    ctx.client.reset_nonces()
    assert ctx.rights.pledge(p["id"]).status is PledgeStatus.RELEASED


def test_licences_and_the_regulator(
    cli_env: dict[str, str], ctx: RegistryContext, tmp_path: Path
) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    terms = licence_terms(ctx)
    ctx.client.reset_nonces()
    holder_key = _key(tmp_path, holder(), "holder")
    licensee_key = _key(tmp_path, licensee(), "licensee")
    terms_file = tmp_path / "terms.json"
    terms_file.write_text(terms.model_dump_json(), encoding="utf-8")
    bad_terms = tmp_path / "bad.json"
    bad_terms.write_text(json.dumps({**json.loads(terms_file.read_text()), "right": "holding"}))

    _one_line_error(
        _run(cli_env, "licence-grant", number, str(bad_terms), "--key-file", holder_key),
        2,
        "holding right is transferred",
    )
    granted = _run(
        cli_env, "licence-grant", number, str(terms_file), "--key-file", holder_key, "--json"
    )
    assert granted.returncode == 0, granted.stderr
    lic = json.loads(granted.stdout)
    assert (lic["licensee"], lic["live"], lic["certificate_number"]) == (
        licensee().address,
        True,
        number,
    )
    assert len(lic["voucher_number"]) == 16
    ended = _run(
        cli_env,
        "licence-terminate",
        str(lic["id"]),
        "--reason",
        "合作终止",
        "--key-file",
        licensee_key,
    )
    assert ended.returncode == 0, ended.stderr
    assert "not live (terminated)" in ended.stdout

    # a regulator signs its own action: without --key-file the command refuses at once; the
    # operator's key (no role) and a regulator not granted yet are refused by the contract
    for command in ("freeze", "unfreeze"):
        _one_line_error(
            _run(cli_env, command, number, "--case", "执保123号"), 2, "--key-file is required"
        )
    _one_line_error(
        _run(cli_env, "court-order", number, buyer().address, "--case", "执123号"),
        2,
        "--key-file is required",
    )
    operator_key = _key(tmp_path, ctx.operator, "operator")
    regulator_key = _key(tmp_path, regulator(), "regulator")
    for key in (operator_key, regulator_key):
        _one_line_error(
            _run(cli_env, "freeze", number, "--case", "执保123号", "--key-file", key),
            1,
            "AgentNotRegulator",
        )
    ctx.client.reset_nonces()
    grant_regulator(ctx)
    ctx.client.rpc("anvil_setBalance", [regulator().address, hex(10**20)])
    ctx.client.reset_nonces()
    as_regulator = ("--key-file", regulator_key)
    frozen = _run(
        cli_env, "freeze", number, "--case", "(2026)粤01执保123号", "--json", *as_regulator
    )
    assert frozen.returncode == 0, frozen.stderr
    assert json.loads(frozen.stdout)["frozen"] is True
    assert json.loads(frozen.stdout)["by"] == regulator().address
    ordered = _run(
        cli_env,
        "court-order",
        number,
        buyer().address,
        "--case",
        "(2026)粤01执123号",
        *as_regulator,
    )
    assert ordered.returncode == 0, ordered.stderr
    assert "by court order" in ordered.stdout
    thawed = _run(cli_env, "unfreeze", number, "--case", "之一", *as_regulator)
    assert thawed.returncode == 0, thawed.stderr
    assert "not frozen" in thawed.stdout
    ctx.client.reset_nonces()
    assert ctx.rights.holder_of(token) == buyer().address
