"""Registration through the real `dareg` executable against the session chain."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.domain.deployment import DeploymentManifest
from registry.domain.registration import RegistrarPolicy
from registry.settings import Settings
from tests.cli.conftest import run_dareg as _run
from tests.conftest import admin
from tests.registry.registration.conftest import metadata, travel

CODE = 450
NOTICE = 86_400
#: The registrar account of code 450 (never the operator, which holds no role).
STAFF = dev_account(9)


def key_file(directory: Path, account: LocalAccount, name: str) -> str:
    """A key file holding ``account``'s private key; its path."""
    path = directory / f"{name}.key"
    path.write_text(account.key.hex())
    return str(path)


@pytest.fixture
def cli_env(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings, tmp_path: Path
) -> dict[str, str]:
    deployment.save(test_settings.manifest_path)
    migrate(test_settings.effective_database_url)
    ctx = RegistryContext.open(test_settings, client=chain)
    ctx.registrations.configure_registrar(CODE, RegistrarPolicy(True, True, False, NOTICE), admin())
    ctx.registrations.set_registrar_account(CODE, STAFF.address, admin())
    chain.rpc("anvil_setBalance", [STAFF.address, hex(10**20)])
    chain.reset_nonces()  # the CLI sends from the same accounts, with its own nonce view
    return {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")} | {
        "DAREG_RPC_URL": str(test_settings.rpc_url),
        "DAREG_VAR_DIR": str(test_settings.var_dir),
        "DAREG_DATABASE_URL": str(test_settings.database_url),
        "COLUMNS": "200",
    }


def test_apply_review_issue_and_show(
    cli_env: dict[str, str], chain: ChainClient, tmp_path: Path
) -> None:
    holder = dev_account(1)
    key = tmp_path / "holder.key"
    key.write_text(holder.key.hex())
    doc = tmp_path / "app.json"
    doc.write_text(
        json.dumps(metadata(holder.address).document(), ensure_ascii=False), encoding="utf-8"
    )

    applied = _run(
        cli_env, "apply", str(doc), "--registrar", str(CODE), "--key-file", str(key), "--json"
    )
    assert applied.returncode == 0, applied.stderr
    reg = json.loads(applied.stdout)
    assert reg["status"] == "submitted"
    assert reg["holder"] == holder.address
    reg_id = str(reg["id"])
    staff = ("--key-file", key_file(tmp_path, STAFF, "staff"))
    assert _run(cli_env, "review", "accept", reg_id, *staff).returncode == 0
    noticed = _run(cli_env, "review", "notice", reg_id, *staff)
    assert "public notice open until" in noticed.stdout
    early = _run(cli_env, "issue", reg_id, *staff)
    assert early.returncode == 1
    assert "RegistryNoticeWindowOpen" in early.stderr
    travel(chain, NOTICE + 1)
    issued = _run(cli_env, "issue", reg_id, "--json", *staff)
    assert issued.returncode == 0, issued.stderr
    number = json.loads(issued.stdout)[0]["certificate_number"]
    shown = _run(cli_env, "certificate", number, "--json")
    assert json.loads(shown.stdout)["metadata"]["name"] == "港口集装箱吞吐量数据集 2025"
    text = _run(cli_env, "certificate", number)
    assert "[resource, general]" in text.stdout  # literal brackets, not console markup
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    wrong = _run(cli_env, "certificate", typo)
    assert wrong.returncode == 2
    assert "mistyped" in wrong.stderr
    assert wrong.stderr.count("\n") == 1


def test_bad_metadata_and_wrong_registrar(cli_env: dict[str, str], tmp_path: Path) -> None:
    holder = dev_account(1)
    bad = tmp_path / "bad.json"
    document = metadata(holder.address).document()
    document["classification"] = "core"
    bad.write_text(json.dumps(document), encoding="utf-8")
    refused = _run(cli_env, "apply", str(bad), "--registrar", str(CODE))
    assert refused.returncode == 2
    assert "core data" in refused.stderr
    assert refused.stderr.count("\n") == 1
    missing = _run(cli_env, "apply", str(tmp_path / "nope.json"), "--registrar", str(CODE))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["issue", "1"],
        ["renew", "1"],
        ["revoke", "1", "--reason", "x"],
        ["review", "accept", "1"],
        ["review", "return", "1", "--reason", "x"],
        ["review", "reject", "1", "--reason", "x"],
        ["review", "notice", "1"],
        ["review", "standing", "1", "0x" + "11" * 20],
        ["review", "rule", "1", "--upheld", "--reason", "x"],
        ["registrar", "configure", "451", "--name", "某登记中心"],
        ["registrar", "add-account", "451", "0x" + "11" * 20],
    ],
)
def test_role_commands_need_the_actors_own_key(cli_env: dict[str, str], command: list[str]) -> None:
    """Before v2 these commands fell back to the operator key without ``--key-file``; the
    operator holds no role now, so the acting account must sign: one line, exit 2."""
    refused = _run(cli_env, *command)
    assert refused.returncode == 2, refused.stdout
    assert "--key-file is required" in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_the_admin_configures_and_the_operator_is_refused(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    """The admin configures a registrar and binds its staff with its own key; the operator's
    key is refused by the chain (it holds no role)."""
    ctx = RegistryContext.open(test_settings, client=chain)
    operator = ("--key-file", key_file(tmp_path, ctx.operator, "operator"))
    denied = _run(cli_env, "registrar", "configure", "452", "--name", "某登记中心", *operator)
    assert denied.returncode == 1
    assert "AccessControlUnauthorizedAccount" in denied.stderr
    governor = ("--key-file", key_file(tmp_path, admin(), "admin"))
    done = _run(cli_env, "registrar", "configure", "452", "--name", "某登记中心", *governor)
    assert done.returncode == 0, done.stderr
    bound = _run(cli_env, "registrar", "add-account", "452", dev_account(8).address, *governor)
    assert bound.returncode == 0, bound.stderr
    assert ctx.registrations.registrar_code_of(dev_account(8).address) == 452
    assert ctx.registrations.registrar_code_of(ctx.operator.address) == 0


def _issued(ctx: RegistryContext, chain: ChainClient, holder_index: int, fp: int) -> int:
    """A certificate of ``holder_index`` issued by :data:`STAFF`; its id."""
    holder = dev_account(holder_index)
    service = ctx.registrations
    reg = service.sign_and_submit(metadata(holder.address, fp), CODE, holder, ctx.operator)
    service.accept(reg.id, STAFF)
    service.open_notice(reg.id, STAFF)
    travel(chain, NOTICE + 1)
    return service.issue(reg.id, STAFF).id


def test_revoke_under_a_ruling_and_close_expired(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    """``dareg revoke --ruling`` revokes a frozen certificate (refused without it);
    ``dareg close-expired NUMBER`` closes a certificate whose validity has ended, signed by
    anyone, and is refused before."""
    ctx = RegistryContext.open(test_settings, client=chain)
    frozen = _issued(ctx, chain, 1, 0xF1)
    regulator = dev_account(5)
    ctx.registrations.set_regulator(regulator.address, admin())
    ctx.rights.freeze(frozen, "(2026)粤01执保7号", regulator)
    chain.reset_nonces()
    staff = ("--key-file", key_file(tmp_path, STAFF, "staff"))
    reason = ("--reason", "来源授权被撤回", "--code", "3")
    plain = _run(cli_env, "revoke", str(frozen), *reason, *staff)
    assert plain.returncode == 1
    assert "RegistryEncumbered" in plain.stderr
    assert plain.stderr.count("\n") == 1
    ruling = ("--ruling", "(2026)粤01民初88号 民事裁定书")
    revoked = _run(cli_env, "revoke", str(frozen), *reason, *ruling, *staff, "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert ctx.registrations.get(frozen).status.value == "revoked"

    expiring = _issued(ctx, chain, 2, 0xF2)
    number = ctx.registrations.get(expiring).certificate_number
    assert number is not None
    anyone = ("--key-file", key_file(tmp_path, dev_account(4), "anyone"))
    early = _run(cli_env, "close-expired", number, *anyone)
    assert early.returncode == 1
    assert "RegistryNotExpired" in early.stderr
    valid_until = ctx.registrations.get(expiring).valid_until
    assert valid_until is not None
    travel(chain, int(valid_until.timestamp()) - chain.block().timestamp + 1)
    closed = _run(cli_env, "close-expired", number, *anyone)
    assert closed.returncode == 0, closed.stderr
    assert "expired certificate closed" in closed.stdout
    assert ctx.registrations.get(expiring).status.value == "expired"
    again = _run(cli_env, "close-expired", number, *anyone)
    assert (again.returncode, "RegistryWrongStatus" in again.stderr) == (1, True)


def test_the_help_states_the_renewal_revocation_and_closure_rules(cli_env: dict[str, str]) -> None:
    renew = _run(cli_env, "renew", "--help").stdout
    flat = " ".join(renew.replace("│", " ").split())
    assert "only within the renewal window before it expires" in flat
    assert "without it the current cap stays (it is never removed)" in flat
    revoke = " ".join(_run(cli_env, "revoke", "--help").stdout.replace("│", " ").split())
    assert "--ruling" in revoke
    assert "pledged or frozen certificate is revoked only under --ruling" in revoke
    closing = " ".join(_run(cli_env, "close-expired", "--help").stdout.replace("│", " ").split())
    assert "anyone may" in closing


def test_the_holder_resubmits_a_returned_application_and_changes_an_issued_asset(
    cli_env: dict[str, str], chain: ChainClient, tmp_path: Path
) -> None:
    holder = dev_account(1)
    key = key_file(tmp_path, holder, "holder")
    doc = tmp_path / "app.json"
    doc.write_text(
        json.dumps(metadata(holder.address).document(), ensure_ascii=False), encoding="utf-8"
    )
    applied = _run(
        cli_env, "apply", str(doc), "--registrar", str(CODE), "--key-file", key, "--json"
    )
    assert applied.returncode == 0, applied.stderr
    reg_id = str(json.loads(applied.stdout)["id"])
    staff = ("--key-file", key_file(tmp_path, STAFF, "staff"))
    returned = _run(cli_env, "review", "return", reg_id, "--reason", "材料不全", *staff)
    assert returned.returncode == 0, returned.stderr

    fixed = tmp_path / "fixed.json"
    fixed.write_text(
        json.dumps(metadata(holder.address, 0xB2).document(), ensure_ascii=False),
        encoding="utf-8",
    )
    resubmitted = _run(cli_env, "resubmit", reg_id, str(fixed), "--key-file", key, "--json")
    assert resubmitted.returncode == 0, resubmitted.stderr
    body = json.loads(resubmitted.stdout)
    assert body["status"] == "submitted"
    assert body["fingerprint"] == "0x" + "b2" * 32

    assert _run(cli_env, "review", "accept", reg_id, *staff).returncode == 0
    assert _run(cli_env, "review", "notice", reg_id, *staff).returncode == 0
    travel(chain, NOTICE + 1)
    assert _run(cli_env, "issue", reg_id, *staff).returncode == 0

    version2 = tmp_path / "v2.json"
    version2.write_text(
        json.dumps(metadata(holder.address, 0xC3).document(), ensure_ascii=False),
        encoding="utf-8",
    )
    changed = _run(cli_env, "change", reg_id, str(version2), "--key-file", key, "--json")
    assert changed.returncode == 0, changed.stderr
    body = json.loads(changed.stdout)
    assert body["version"] == 2
    assert body["fingerprint"] == "0x" + "c3" * 32
    # a stranger's key is refused by the chain, with nothing recorded
    stranger = key_file(tmp_path, dev_account(2), "stranger")
    refused = _run(cli_env, "change", reg_id, str(doc), "--key-file", stranger)
    assert refused.returncode == 1
    assert "RegistryNotHolder" in refused.stderr


def test_a_natural_person_applies_with_the_cli_and_the_certificate_shows_it_masked(
    cli_env: dict[str, str], chain: ChainClient, tmp_path: Path
) -> None:
    """The application file gives the resident identity number in full; the CLI commits it
    (docs/privacy.md) and every answer shows it masked."""
    person, identifier = dev_account(14), "440106198506120029"
    holder = {"name": "张三", "identifier_type": "id_card", "identifier": identifier}
    doc = tmp_path / "person.json"
    document = metadata(
        person.address, 0xE5, holder={**holder, "address": person.address}, applicant_type=4
    ).document()
    doc.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    key = ("--key-file", key_file(tmp_path, person, "person"))
    applied = _run(cli_env, "apply", str(doc), "--registrar", str(CODE), *key, "--json")
    assert applied.returncode == 0, applied.stderr
    reg_id = str(json.loads(applied.stdout)["id"])
    staff = ("--key-file", key_file(tmp_path, STAFF, "staff"))
    assert _run(cli_env, "review", "accept", reg_id, *staff).returncode == 0
    assert _run(cli_env, "review", "notice", reg_id, *staff).returncode == 0
    travel(chain, NOTICE + 1)
    issued = _run(cli_env, "issue", reg_id, "--json", *staff)
    assert issued.returncode == 0, issued.stderr
    number = json.loads(issued.stdout)[0]["certificate_number"]
    shown = _run(cli_env, "certificate", number, "--json")
    assert identifier not in shown.stdout + applied.stdout + issued.stdout
    shown_holder = json.loads(shown.stdout)["metadata"]["holder"]
    assert shown_holder["identifier"] == "440106********0029"
    assert shown_holder["identifier_commitment"].startswith("0x")
