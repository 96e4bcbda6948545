"""Gas benchmark of DataAssetRegistry against a plain OpenZeppelin certificate mint.

Deploys the registry on a fresh anvil whose clock is pinned (fixed genesis time, one second per
block, time travel by setting the next block's timestamp), so the figures are reproducible to the
unit: the registry's numbers embed the date, and their check-digit loop costs slightly different
gas for different digits (see TOLERANCE_GAS for the one exception). Measures the lifecycle
transactions, single issuance, per-certificate issuance in a batch of 100 (one holder, the
bulk-registration case, and 100 distinct holders), and the baseline:
``contracts/bench/BaselineCertificate.sol``, a ``_safeMint`` plus ``ERC721URIStorage._setTokenURI``
with a 59-character ``ipfs://`` URI.

    .venv/bin/python bench/bench_gas.py            # measure, print the table and the snapshot diff
    .venv/bin/python bench/bench_gas.py --update   # measure and rewrite gas-snapshot.json

Goals: single issuance <= the baseline; per-certificate issuance in a batch of 100 for one holder
<= 0.6 x single issuance; the 500th licence granted on one certificate costs within 5 % of the
1st (constant-gas exclusivity, issue 13). Exits 1 if a goal is missed or, without ``--update``,
a figure grew beyond the committed snapshot (tests/contracts/test_gas_snapshot.py enforces the
same).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `tests.contracts` importable
    sys.path.insert(0, str(REPO))

from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from eth_utils.crypto import keccak  # noqa: E402

from registry.artifacts import artifacts_hash, client_contracts, load_artifact  # noqa: E402
from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account  # noqa: E402
from registry.chain.deploy import deploy_all  # noqa: E402
from registry.chain.eip712 import sign_typed_data  # noqa: E402
from registry.chain.node import AnvilNode, anvil_binary  # noqa: E402
from registry.domain.deployment import DeploymentManifest  # noqa: E402
from registry.rights.service import PLEDGE  # noqa: E402
from registry.settings import Settings  # noqa: E402
from tests.contracts.registry_helpers import (  # noqa: E402
    DAY,
    Application,
    Registry,
    digest,
    fund,
)

SNAPSHOT = REPO / "gas-snapshot.json"
#: Allowed growth over the snapshot, in gas. With the pinned clock every figure is exact except
#: one: the relayed application's signature changes when the registry's address does (another
#: contract deployed before it), and each of its bytes that turns from zero to non-zero costs 12
#: gas of calldata. 48 gas absorbs that; any change to the contracts' code costs more than that.
TOLERANCE_GAS = 48
BATCH = 100
SINGLE_ISSUE_GOAL = 1.0  # single issue / baseline mint
BATCH_GOAL = 0.6  # per-certificate in a batch of 100 (one holder) / single issue
LICENCE_SCALE_GOAL = 0.05  # |500th grant - 1st grant| / 1st grant on one certificate (issue 13)

#: 2026-03-02T00:00:00Z, the pinned genesis time of the benchmark chain.
GENESIS_TIME = 1_772_409_600
REGISTRAR_CODE = 101
BASELINE_URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy"
BASE_TOKEN_URI = "https://registry.example/api/v1/certificates/"

#: Figure keys in table order, with their labels.
LABELS: dict[str, str] = {
    "submitApplication": "submitApplication (direct)",
    "submitApplicationFor": "submitApplicationFor (relayed, EIP-712)",
    "accept": "accept",
    "openNotice": "openNotice",
    "issue": "issue (holder's first certificate)",
    "issue_existing_holder": "issue (holder already holds one)",
    "full_path": "full path: apply + accept + notice + issue",
    "issueBatch100_one_holder": f"issueBatch of {BATCH}, one holder (whole tx)",
    "issueBatch100_distinct_holders": f"issueBatch of {BATCH}, distinct holders (whole tx)",
    "baseline_mint": "baseline: _safeMint + _setTokenURI (59 chars)",
    "grantLicence": "grantLicence (non-exclusive, processing-use)",
    "grant_licence_1st": "grantLicence, 1st on one certificate",
    "grant_licence_500th": "grantLicence, 500th on the same certificate",
    "transfer": "transfer (sale, by the holder via the agent)",
    "registerPledge": "registerPledge (two EIP-712 consents, relayed)",
    "releasePledge": "releasePledge (by the pledgee)",
    "submitValuation": "submitValuation (certificate's first, 59-char URI)",
    "withdrawValuation": "withdrawValuation (by its appraiser)",
}

assert len(BASELINE_URI) == 59


class _PinnedClockAnvil(AnvilNode):
    """anvil whose genesis block carries :data:`GENESIS_TIME`."""

    def command(self) -> list[str]:
        return [*super().command(), "--timestamp", str(GENESIS_TIME)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _advance(chain: ChainClient, seconds: int) -> None:
    """Pinned-clock time travel: the next block is ``seconds`` after the latest one."""
    chain.rpc("evm_setNextBlockTimestamp", [chain.block().timestamp + seconds])
    chain.rpc("evm_mine")


def _bench_account(index: int) -> LocalAccount:
    key = keccak(text=f"dareg gas benchmark holder {index}")
    account: LocalAccount = Account.from_key(key)
    return account


def _application(label: str) -> Application:
    return Application(
        REGISTRAR_CODE, fingerprint=digest(f"fp {label}"), metadata_hash=digest(f"md {label}")
    )


def _issue_batch(
    registry: Registry, registrar: LocalAccount, holders: list[LocalAccount], label: str
) -> int:
    """Gas of one issueBatch over applications of ``holders`` (set up in bulk, unmeasured)."""
    submitted = registry.bulk(
        [
            (holder, "submitApplication", [_application(f"{label} {n}").as_tuple()])
            for n, holder in enumerate(holders)
        ]
    )
    ids = [int(e.args["id"]) for events in submitted for e in events]
    registry.bulk(
        [(registrar, "accept", [i]) for i in ids] + [(registrar, "openNotice", [i]) for i in ids]
    )
    _advance(registry.chain, DAY + 1)
    return registry.tx("issueBatch", [ids], registrar).gas_used


def _measure_on(chain: ChainClient, settings: Settings) -> dict[str, int]:
    operator, admin, registrar = dev_account(0), dev_account(DEV_ADMIN_INDEX), dev_account(1)
    holder, relayed_holder, relayer = dev_account(3), dev_account(4), dev_account(5)
    chain.rpc("anvil_setBlockTimestampInterval", [1])
    chain.rpc("anvil_setBalance", [admin.address, hex(10**22)])
    manifest = deploy_all(
        chain, operator, admin.address, artifacts_hash(settings.artifacts_dir), BASE_TOKEN_URI
    )
    registry = Registry(chain, manifest.address_of("DataAssetRegistry"), admin)
    registry.add_registrar(REGISTRAR_CODE, registrar, notice_period=DAY)
    g: dict[str, int] = {}

    # Steady state: the id counter and the relayed applicant's nonce are already in use.
    registry.submit(dev_account(9), _application("warm-up"))
    registry.submit_for(_application("relayed warm-up"), relayed_holder, relayer)

    first, receipt = registry.submit(holder, _application("first"))
    g["submitApplication"] = receipt.gas_used
    _, receipt = registry.submit_for(_application("relayed"), relayed_holder, relayer)
    g["submitApplicationFor"] = receipt.gas_used
    g["accept"] = registry.tx("accept", [first], registrar).gas_used
    g["openNotice"] = registry.tx("openNotice", [first], registrar).gas_used
    second, _ = registry.submit(holder, _application("second"))
    registry.to_notice(second, registrar)
    _advance(chain, DAY + 1)
    g["issue"] = registry.tx("issue", [first], registrar).gas_used
    g["issue_existing_holder"] = registry.tx("issue", [second], registrar).gas_used
    g["full_path"] = g["submitApplication"] + g["accept"] + g["openNotice"] + g["issue"]

    g["issueBatch100_one_holder"] = _issue_batch(
        registry, registrar, [dev_account(6)] * BATCH, "one holder"
    )
    distinct = [_bench_account(n) for n in range(BATCH)]
    for account in distinct:
        fund(chain, account.address)
    g["issueBatch100_distinct_holders"] = _issue_batch(registry, registrar, distinct, "distinct")

    g.update(_measure_rights(chain, manifest, registry, registrar, holder, relayer))
    g.update(_measure_valuation(chain, manifest, registry, registrar, holder))

    baseline = chain.deploy("BaselineCertificate", admin).contract_address
    assert baseline is not None
    mint_to = _bench_account(10_000).address
    g["baseline_mint"] = chain.transact(
        "BaselineCertificate", baseline, "mint", [mint_to, 1, BASELINE_URI], admin
    ).gas_used
    return g


def _measure_rights(
    chain: ChainClient,
    manifest: DeploymentManifest,
    registry: Registry,
    registrar: LocalAccount,
    holder: LocalAccount,
    relayer: LocalAccount,
) -> dict[str, int]:
    """Licence, transfer and pledge on fresh certificates certifying every right."""
    agent, licences = manifest.address_of("TransferAgent"), manifest.address_of("LicenceRegistry")
    ids = []
    for label in ("licensed", "sold", "pledged"):
        reg_id, _ = registry.submit(holder, _application(label).replace(rights=7))
        registry.to_notice(reg_id, registrar)
        ids.append(reg_id)
    _advance(chain, DAY + 1)
    for reg_id in ids:
        registry.tx("issue", [reg_id], registrar)
    licensed, sold, pledged = ids
    now = chain.block().timestamp
    licence = (
        dev_account(7).address, 2, False, True, 0b11, 0b1, now, now + 180 * DAY,
        digest("odrl policy"), digest("fee terms"),
    )  # fmt: skip
    # v2: a recipient needs a recorded country, which a regulator records
    regulator = dev_account(9)
    chain.transact(
        "RegistryAuthority",
        manifest.address_of("RegistryAuthority"),
        "grantRole",
        [keccak(text="REGULATOR_ROLE"), regulator.address],
        registry.admin,
    )
    chain.transact(
        "TransferAgent", agent, "setPartyCountry", [dev_account(7).address, b"CN"], regulator
    )
    g = {
        "grantLicence": chain.transact(
            "LicenceRegistry", licences, "grantLicence", [licensed, licence], holder
        ).gas_used,
        "transfer": chain.transact(
            "TransferAgent",
            agent,
            "transfer",
            [sold, dev_account(7).address, 1, digest("deed")],
            holder,
        ).gas_used,
    }
    pledgee = dev_account(8)
    terms = {
        "tokenId": pledged,
        "pledgor": holder.address,
        "pledgee": pledgee.address,
        "securedAmount": 5_000_000_00,
        "currency": b"CNY",
        "loanRef": digest("loan"),
        "maturity": now + 90 * DAY,
        "nonce": 0,
        "deadline": now + DAY,
    }
    typed = PLEDGE.typed_data(chain.chain_id(), agent, terms)
    signatures = [sign_typed_data(typed, holder), sign_typed_data(typed, pledgee)]
    receipt = chain.transact(
        "TransferAgent", agent, "registerPledge", [tuple(terms.values()), *signatures], relayer
    )
    g["registerPledge"] = receipt.gas_used
    pledge_id = next(e.args["pledgeId"] for e in receipt.events if e.name == "PledgeRegistered")
    g["releasePledge"] = chain.transact(
        "TransferAgent", agent, "releasePledge", [pledge_id], pledgee
    ).gas_used
    g.update(_measure_licence_scaling(chain, licences, sold, dev_account(7), now))
    return g


#: Licences granted on one certificate to show that a grant costs the same at any count.
LICENCE_SCALE = 500


def _measure_licence_scaling(
    chain: ChainClient, licences: str, token: int, holder: LocalAccount, now: int
) -> dict[str, int]:
    """The 1st and the 500th non-exclusive licence on one certificate (not the registry's
    first licence, whose id counter starts then), each to a new licensee."""
    gas = []
    for i in range(LICENCE_SCALE):
        licensee = Account.from_key(keccak(text=f"licensee {i}")).address
        licence = (
            licensee, 2, False, False, 0b1, 0b1, now,
            now + 90 * DAY, digest("odrl policy"), bytes(32),
        )  # fmt: skip
        gas.append(
            chain.transact(
                "LicenceRegistry", licences, "grantLicence", [token, licence], holder
            ).gas_used
        )
    return {"grant_licence_1st": gas[0], f"grant_licence_{LICENCE_SCALE}th": gas[-1]}


def _measure_valuation(
    chain: ChainClient,
    manifest: DeploymentManifest,
    registry: Registry,
    registrar: LocalAccount,
    holder: LocalAccount,
) -> dict[str, int]:
    """An accredited appraiser values a fresh certificate (the id counter already in use:
    a warm-up valuation of another certificate comes first), then withdraws the valuation."""
    valuations = manifest.address_of("ValuationRegistry")
    appraiser = dev_account(2)
    chain.transact(
        "ValuationRegistry",
        valuations,
        "accreditAppraiser",
        [appraiser.address, digest("accreditation")],
        registry.admin,
    )
    ids = []
    for label in ("valued warm-up", "valued"):
        reg_id, _ = registry.submit(holder, _application(label))
        registry.to_notice(reg_id, registrar)
        ids.append(reg_id)
    _advance(chain, DAY + 1)
    for reg_id in ids:
        registry.tx("issue", [reg_id], registrar)
    base_date = chain.block().timestamp - DAY
    receipts = []
    for reg_id in ids:
        # income method, CNY 3,987,720.00, market value, for pledge financing, asset version 1
        valuation = (
            2, 3_987_720_00, b"CNY", 1, base_date, 1, 1,
            digest(f"report {reg_id}"), digest(f"facts {reg_id}"), BASELINE_URI,
        )  # fmt: skip
        receipts.append(
            chain.transact(
                "ValuationRegistry", valuations, "submitValuation", [reg_id, valuation], appraiser
            )
        )
    valuation_id = next(
        e.args["valuationId"] for e in receipts[1].events if e.name == "ValuationSubmitted"
    )
    return {
        "submitValuation": receipts[1].gas_used,
        "withdrawValuation": chain.transact(
            "ValuationRegistry",
            valuations,
            "withdrawValuation",
            [valuation_id, digest("superseded")],
            appraiser,
        ).gas_used,
    }


def measure(settings: Settings | None = None) -> dict[str, int]:
    """Every figure, measured on a fresh pinned-clock anvil that is stopped afterwards."""
    settings = settings or Settings()
    names = [*client_contracts(settings.artifacts_dir), "BaselineCertificate"]
    artifacts = [load_artifact(settings.artifacts_dir, n) for n in names]
    with tempfile.TemporaryDirectory(prefix="dareg-gas-") as tmp:
        node = _PinnedClockAnvil(
            anvil_binary(settings.node_modules_dir),
            host="127.0.0.1",
            port=_free_port(),
            chain_id=31337,
            state_path=None,
            log_path=Path(tmp) / "anvil.log",
        )
        node.start()
        try:
            return _measure_on(ChainClient(node.url, artifacts), settings)
        finally:
            node.stop()


@dataclass(frozen=True)
class Ratios:
    single_issue_vs_baseline: float
    batch_one_holder_vs_single: float
    batch_distinct_holders_vs_single: float
    full_path_vs_baseline: float
    licence_500th_vs_1st: float

    @property
    def goals_met(self) -> bool:
        return (
            self.single_issue_vs_baseline <= SINGLE_ISSUE_GOAL
            and self.batch_one_holder_vs_single <= BATCH_GOAL
            and self.licence_500th_vs_1st <= LICENCE_SCALE_GOAL
        )


def ratios(g: dict[str, int]) -> Ratios:
    return Ratios(
        single_issue_vs_baseline=g["issue"] / g["baseline_mint"],
        batch_one_holder_vs_single=g["issueBatch100_one_holder"] / BATCH / g["issue"],
        batch_distinct_holders_vs_single=g["issueBatch100_distinct_holders"] / BATCH / g["issue"],
        full_path_vs_baseline=g["full_path"] / g["baseline_mint"],
        licence_500th_vs_1st=abs(g["grant_licence_500th"] - g["grant_licence_1st"])
        / g["grant_licence_1st"],
    )


def load_snapshot(path: Path = SNAPSHOT) -> dict[str, int]:
    if not path.exists():
        return {}
    gas: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))["gas"]
    return gas


def write_snapshot(figures: dict[str, int], path: Path = SNAPSHOT) -> None:
    body = {
        "about": "gas used per operation; written by `bench/bench_gas.py --update`, "
        "checked by tests/contracts/test_gas_snapshot.py",
        "gas": {k: figures[k] for k in LABELS},
    }
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def regressions(figures: dict[str, int], snapshot: dict[str, int]) -> list[str]:
    """Figures above the snapshot (beyond :data:`TOLERANCE_GAS`), and figures it lacks."""
    problems = []
    for key, value in figures.items():
        if key not in snapshot:
            problems.append(f"{key}: {value} is not in the snapshot")
        elif value > snapshot[key] + TOLERANCE_GAS:
            grown = value - snapshot[key]
            problems.append(
                f"{key}: {value} gas, snapshot {snapshot[key]} (+{grown}, "
                f"+{100 * grown / snapshot[key]:.2f}%)"
            )
    return problems


def table(figures: dict[str, int], snapshot: dict[str, int]) -> str:
    lines = [f"{'operation':<52} {'gas':>10} {'snapshot':>10} {'diff':>9}"]
    for key, label in LABELS.items():
        value, old = figures[key], snapshot.get(key)
        diff = "new" if old is None else f"{value - old:+d}"
        lines.append(f"{label:<52} {value:>10,} {old or 0:>10,} {diff:>9}")
        if key.startswith("issueBatch"):
            lines.append(f"{'  per certificate':<52} {value / BATCH:>10,.0f}")
    r = ratios(figures)

    def verdict(value: float, goal: float) -> str:
        return f"goal <= {goal}: " + ("met" if value <= goal else "MISSED")

    rows = [
        (
            "single issue / baseline mint",
            r.single_issue_vs_baseline,
            verdict(r.single_issue_vs_baseline, SINGLE_ISSUE_GOAL),
        ),
        (
            "batch per certificate, one holder / single issue",
            r.batch_one_holder_vs_single,
            verdict(r.batch_one_holder_vs_single, BATCH_GOAL),
        ),
        (
            "batch per certificate, distinct holders / single",
            r.batch_distinct_holders_vs_single,
            "no goal: each certificate pays a fresh ERC-721 balance slot",
        ),
        (
            "licence grant: |500th - 1st| / 1st, one certificate",
            r.licence_500th_vs_1st,
            verdict(r.licence_500th_vs_1st, LICENCE_SCALE_GOAL),
        ),
        (
            "full path (apply .. issue) / baseline mint",
            r.full_path_vs_baseline,
            "no goal: the registration record is stored at apply",
        ),
    ]
    lines.append("")
    lines += [f"{label:<52} {value:>10.3f}  ({note})" for label, value, note in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--update", action="store_true", help="rewrite gas-snapshot.json")
    args = parser.parse_args(argv)
    figures = measure()
    snapshot = load_snapshot()
    print(table(figures, snapshot))
    status = 0 if ratios(figures).goals_met else 1
    if args.update:
        write_snapshot(figures)
        print(f"\nwrote {SNAPSHOT.relative_to(REPO)}")
        return status
    problems = regressions(figures, snapshot)
    if problems:
        print("\ngas grew beyond the snapshot:\n  " + "\n  ".join(problems))
        print(
            "if the increase is intended, run `bench/bench_gas.py --update` and explain it in "
            "the commit message"
        )
        return 1
    print("\nno figure grew beyond the snapshot")
    return status


if __name__ == "__main__":
    sys.exit(main())
