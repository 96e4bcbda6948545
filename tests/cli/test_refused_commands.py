"""A refused `dareg` command keeps nothing it carried (issue 15): a registrar's decision the
contract refuses leaves no reason or ruling document behind; an accepted one stores its reason.
The access log records the refused transaction (that it happened), nothing else changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.documents import DocumentStore
from registry.settings import Settings
from tests.api.stored import stored
from tests.cli.conftest import run_dareg
from tests.cli.test_registration_commands import CODE, STAFF, cli_env, key_file
from tests.registry.registration.conftest import metadata

__all__ = ["cli_env"]  # the fixture, shared with the registration commands' tests

REASON = "材料不全" * 1000  # 4,000 characters
RULING = "(2026)粤01民初99号 民事裁定书" * 100


def test_a_refused_decision_keeps_its_reason_nowhere(
    cli_env: dict[str, str], test_settings: Settings, chain: ChainClient, tmp_path: Path
) -> None:
    ctx = RegistryContext.open(test_settings, client=chain)
    holder = dev_account(1)
    application = ctx.registrations.sign_and_submit(
        metadata(holder.address, 0xAB), CODE, holder, ctx.operator
    )
    chain.reset_nonces()
    reg_id = str(application.id)
    staff = ("--key-file", key_file(tmp_path, STAFF, "staff"))
    stranger = ("--key-file", key_file(tmp_path, dev_account(4), "stranger"))
    before = stored(ctx.engine, test_settings.var_dir)

    # not an account of the registrar: the contract refuses
    denied = run_dareg(cli_env, "review", "reject", reg_id, "--reason", REASON, *stranger)
    assert denied.returncode == 1, denied.stderr
    # a submitted application is not revoked, with or without a ruling
    early = run_dareg(
        cli_env, "revoke", reg_id, "--reason", REASON, "--ruling", RULING, "--code", "3", *staff
    )
    assert early.returncode == 1, early.stderr
    after = stored(ctx.engine, test_settings.var_dir)
    changed = before.changes(after)
    assert set(changed) == {"access_log"}, changed  # the refused transactions, recorded

    rejected = run_dareg(cli_env, "review", "reject", reg_id, "--reason", REASON, *staff)
    assert rejected.returncode == 0, rejected.stderr
    documents = DocumentStore(ctx.engine)
    assert documents.get(hashlib.sha256(REASON.encode()).digest()) is not None
    assert documents.get(hashlib.sha256(RULING.encode()).digest()) is None
