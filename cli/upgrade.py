"""``dareg upgrade``: move every proxy of the registry to the current build (docs/upgrades.md).

Three ways, one of them per run:

* ``--key-file ADMIN_KEY``: the operator deploys the new implementations, the admin's key sends
  ``upgradeToAndCall`` to every proxy, and the manifest records the new implementations and the
  build's artifacts hash;
* ``--prepare PLAN.json``: the operator deploys the new implementations and writes the plan with
  the admin's transactions (``to``/``value``/``data``) for a multisig or timelock to propose;
* ``--record PLAN.json``: once the admin has executed them, check the chain runs every planned
  implementation and record them in the manifest.

On the embedded chain the node is started from its saved state for the upgrade (stop
``dareg up`` first: it holds ``var/``); elsewhere ``DAREG_RPC_URL`` names the node.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    PasswordFile,
    emit,
    load_signing_key,
    read_json,
    settings,
    write_output,
)
from registry.errors import ConfigurationError, DeploymentError, InputError

if TYPE_CHECKING:
    from registry.chain.client import ChainClient
    from registry.chain.upgrade import UpgradePlan
    from registry.domain.deployment import DeploymentManifest
    from registry.settings import Settings

AdminKey = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="the key of the registry's admin (a hex key file or a keystore), who sends the "
        "upgrades. A multisig or timelock admin uses --prepare and --record instead.",
    ),
]
Prepare = Annotated[
    Path | None,
    typer.Option(
        "--prepare",
        help="deploy the new implementations and write the admin's transactions to this file, "
        "without sending them",
    ),
]
Record = Annotated[
    Path | None,
    typer.Option(
        "--record", help="record a plan written by --prepare once the admin has executed it"
    ),
]


@contextmanager
def _chain(config: Settings) -> Iterator[ChainClient]:
    """A client of the registry's chain; the embedded node runs from its state meanwhile."""
    from cli.stack import embedded_node, var_lock
    from registry.context import make_client

    if not config.embedded:
        yield make_client(config)
        return
    config.var_dir.mkdir(parents=True, exist_ok=True)
    with var_lock(config.lock_path):
        node = embedded_node(config)
        node.start()
        try:
            yield make_client(config)
        finally:
            node.stop()


def _record_sends(config: Settings, client: ChainClient, manifest: DeploymentManifest) -> None:
    """The admin's upgrade transactions go to the access log, as every CLI write does (no
    registry context is opened here, so none registered its listener)."""
    from registry.audit.access_log import AccessLog
    from registry.db.engine import make_engine

    AccessLog(make_engine(config.effective_database_url), client, manifest).listen()


def _save(
    config: Settings, recorded: DeploymentManifest, plan: UpgradePlan, done: str, as_json: bool
) -> None:
    """Save the manifest that records ``plan`` and say so (``done``: recorded or upgraded)."""
    from registry.chain.upgrade import plan_summary

    recorded.save(config.manifest_path)
    heading = "recorded in" if done == "recorded" else "upgraded and recorded in"
    emit(
        {
            done: plan_summary(plan),
            "libraries": _libraries(plan),
            "artifacts_hash": plan.artifacts_hash,
        },
        as_json,
        [f"{heading} {config.manifest_path}:", *_rows(plan)],
    )


def _rows(plan: UpgradePlan) -> list[str]:
    return [
        f"  {c.contract:<18} {c.proxy}  {c.previous} -> {c.implementation}" for c in plan.changes
    ] + [
        f"  {name:<18} {library.address}  (linked library)"
        for name, library in plan.libraries.items()
    ]


def _libraries(plan: UpgradePlan) -> dict[str, str]:
    return {name: library.address for name, library in plan.libraries.items()}


def upgrade(
    key_file: AdminKey = None,
    password_file: PasswordFile = None,
    prepare: Prepare = None,
    record: Record = None,
    as_json: JsonFlag = False,
) -> None:
    """Upgrade every contract of the registry to the current build (the admin's act)."""
    from registry.chain.deploy import verify_deployment
    from registry.chain.upgrade import (
        UpgradePlan,
        current_admin,
        execute_upgrade,
        plan_summary,
        prepare_upgrade,
        record_upgrade,
    )
    from registry.context import current_artifacts_hash, operator_account
    from registry.domain.deployment import DeploymentManifest

    if sum(option is not None for option in (key_file, prepare, record)) != 1:
        raise InputError("say how: --key-file ADMIN_KEY, --prepare PLAN.json or --record PLAN.json")
    config = settings()
    manifest = DeploymentManifest.load(config.manifest_path)
    if manifest is None:
        raise DeploymentError(
            f"no deployment recorded at {config.manifest_path}: there is nothing to upgrade"
        )
    with _chain(config) as client:
        if record is not None:
            raw = read_json(record, "upgrade plan")
            try:
                plan = UpgradePlan.model_validate(raw.get("plan") if isinstance(raw, dict) else raw)
            except ValueError as exc:
                raise InputError(f"{record} is not an upgrade plan: {exc}") from None
            _save(config, record_upgrade(client, manifest, plan), plan, "recorded", as_json)
            return
        verify_deployment(client, manifest, config.manifest_path)
        operator = operator_account(config, manifest.chain_id)
        if operator is None:
            raise ConfigurationError(
                "no operator key: set DAREG_OPERATOR_KEYSTORE (or DAREG_OPERATOR_KEY) to the "
                "account that deploys the new implementations"
            )
        admin = load_signing_key(key_file, password_file) if key_file is not None else None
        if admin is not None and admin.address.lower() != current_admin(client, manifest).lower():
            raise InputError(
                f"{admin.address} is not the registry's admin "
                f"({current_admin(client, manifest)}); only the admin upgrades"
            )
        plan = prepare_upgrade(client, manifest, operator, current_artifacts_hash(config))
        if admin is None:
            assert prepare is not None
            body: dict[str, Any] = {
                "plan": plan.model_dump(mode="json"),
                "transactions": [t.model_dump() for t in plan.transactions(client)],
            }
            write_output(prepare, (json.dumps(body, indent=2) + "\n").encode("utf-8"))
            emit(
                {
                    "prepared": plan_summary(plan),
                    "libraries": _libraries(plan),
                    "plan_file": str(prepare),
                    "admin": plan.admin,
                },
                as_json,
                [
                    f"new implementations deployed; the admin {plan.admin} must now send the "
                    f"{len(plan.changes)} transactions in {prepare}, then run "
                    f"`dareg upgrade --record {prepare}`:",
                    *_rows(plan),
                ],
            )
            return
        _record_sends(config, client, manifest)
        execute_upgrade(client, plan, admin)
        _save(config, record_upgrade(client, manifest, plan), plan, "upgraded", as_json)


def register(app: typer.Typer) -> None:
    app.command()(upgrade)
