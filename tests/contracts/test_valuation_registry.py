"""ValuationRegistry against a real anvil: appraisers, valuations, withdrawals, accounting class.

Certificates are issued through the registration service (registrar 440, see agent_helpers);
every refusal is checked by its custom error name and arguments, every event against the stored
record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry.artifacts import load_artifact
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.chain import ContractCall, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import (
    AGENT,
    AUTHORITY,
    DAY,
    REGISTRY,
    ZERO32,
    ZERO_ADDRESS,
    CertificateSpec,
    CertStatus,
    Rights,
    event,
    h,
    hex32,
    issue_certificates,
    open_context,
    same,
    travel,
)
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, registrar

VALUATIONS = "ValuationRegistry"
HOLDER, APPRAISER, APPRAISER2, REGULATOR, OTHER, BUYER = (dev_account(i) for i in range(1, 7))
ACCREDITATION = h("资产评估资格证书 No. 44000001")
MAX_REPORT_URI_LENGTH = 512


class Method(IntEnum):
    NONE = 0
    COST = 1
    INCOME = 2
    MARKET = 3
    COMBINED = 4


class ValueType(IntEnum):
    NONE = 0
    MARKET_VALUE = 1
    INVESTMENT_VALUE = 2
    ORDERLY_LIQUIDATION_VALUE = 3
    FORCED_LIQUIDATION_VALUE = 4
    OTHER_VALUE = 5


class Purpose(IntEnum):
    NONE = 0
    PLEDGE_FINANCING = 1
    TRANSACTION = 2
    FINANCIAL_REPORTING = 3
    INVESTMENT = 4
    LITIGATION = 5
    OTHER = 6


class ValuationStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    WITHDRAWN = 2


class AccountingClass(IntEnum):
    NONE = 0
    INTANGIBLE_ASSET = 1
    INVENTORY = 2


@dataclasses.dataclass(frozen=True)
class ValuationInput:
    """``IValuationRegistry.ValuationInput``; the defaults are valid for asset version 1."""

    base_date: int
    method: int = Method.INCOME
    value: int = 3_987_720_00
    currency: bytes = b"CNY"
    value_type: int = ValueType.MARKET_VALUE
    purpose: int = Purpose.PLEDGE_FINANCING
    asset_version: int = 1
    report_hash: bytes = dataclasses.field(default_factory=lambda: h("valuation report"))
    facts_hash: bytes = dataclasses.field(default_factory=lambda: h("facts: 1344 rows, monthly"))
    report_uri: str = "https://reports.example/valuations/2026-001.pdf"

    def replace(self, **changes: Any) -> ValuationInput:
        return dataclasses.replace(self, **changes)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            int(self.method),
            self.value,
            self.currency,
            int(self.value_type),
            self.base_date,
            int(self.purpose),
            self.asset_version,
            self.report_hash,
            self.facts_hash,
            self.report_uri,
        )


class Valuations:
    """The deployed ValuationRegistry: send, call, expect a refusal, read structs by name."""

    def __init__(self, chain: ChainClient, deployment: DeploymentManifest) -> None:
        self.chain = chain
        self.address = to_checksum_address(deployment.address_of(VALUATIONS))
        self._abi = load_artifact(Settings().artifacts_dir, VALUATIONS).abi

    def tx(self, function: str, args: Sequence[Any], signer: LocalAccount) -> Receipt:
        return self.chain.transact(VALUATIONS, self.address, function, args, signer)

    def call(self, function: str, args: Sequence[Any] = ()) -> Any:
        return self.chain.call(VALUATIONS, self.address, function, args)

    def refused(
        self, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> ContractRevertError:
        try:
            self.tx(function, args, signer)
        except ContractRevertError as exc:
            return exc
        raise AssertionError(f"{function}{tuple(args)} was not refused")

    def fields(self, struct: str) -> list[str]:
        """Field names of a struct returned by the one-argument view ``struct``."""
        item = next(i for i in self._abi if i.get("type") == "function" and i["name"] == struct)
        return [c["name"] for c in item["outputs"][0]["components"]]

    def as_dict(self, struct: str, value: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self.fields(struct), value, strict=True))

    def valuation(self, valuation_id: int) -> dict[str, Any]:
        return self.as_dict("valuation", self.call("valuation", [valuation_id]))

    def appraiser(self, account: str) -> dict[str, Any]:
        return self.as_dict("appraiser", self.call("appraiser", [account]))

    def latest(self, token: int) -> int:
        return int(self.call("latestValuationOf", [token]))

    def of(self, token: int) -> list[int]:
        return list(self.call("valuationsOf", [token]))

    def accounting_class(self, token: int) -> AccountingClass:
        return AccountingClass(self.call("accountingClassOf", [token]))

    def accredit(self, account: str, by: LocalAccount, document: bytes = ACCREDITATION) -> Receipt:
        return self.tx("accreditAppraiser", [account, document], by)

    def submit(
        self, token: int, valuation: ValuationInput, appraiser: LocalAccount = APPRAISER
    ) -> tuple[int, Receipt]:
        receipt = self.tx("submitValuation", [token, valuation.as_tuple()], appraiser)
        return int(event(receipt, "ValuationSubmitted").args["valuationId"]), receipt

    def submit_refused(
        self, token: int, valuation: ValuationInput, appraiser: LocalAccount = APPRAISER
    ) -> ContractRevertError:
        return self.refused("submitValuation", [token, valuation.as_tuple()], appraiser)


def expect(error: ContractRevertError, name: str, **args: Any) -> None:
    assert error.error_name == name, f"expected {name}, got {error.error_name}{error.args_by_name}"
    for key, value in args.items():
        got = error.args_by_name[key]
        if isinstance(value, str) and isinstance(got, str):
            assert got.lower() == value.lower(), f"{name}.{key}: {got} != {value}"
        else:
            assert got == value, f"{name}.{key}: {got} != {value}"


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    return open_context(chain, deployment, test_settings)


@pytest.fixture
def rights(ctx: RegistryContext, chain: ChainClient, deployment: DeploymentManifest) -> Rights:
    r = Rights(chain, deployment, governor())
    r.grant_regulator(REGULATOR)
    return r


@pytest.fixture
def valuations(rights: Rights, chain: ChainClient, deployment: DeploymentManifest) -> Valuations:
    """The registry with APPRAISER (by the admin) and APPRAISER2 (by a regulator) accredited."""
    v = Valuations(chain, deployment)
    v.accredit(APPRAISER.address, rights.admin)
    v.accredit(APPRAISER2.address, REGULATOR, h("accreditation 2"))
    return v


@pytest.fixture
def token(ctx: RegistryContext, chain: ChainClient) -> int:
    """One issued certificate of HOLDER."""
    return issue_certificates(ctx, chain, [CertificateSpec(HOLDER)], fp_base=0x70)[0]


def valid_input(chain: ChainClient, **changes: Any) -> ValuationInput:
    """A valid input whose base date is 30 days before the latest block."""
    return ValuationInput(base_date=chain.block().timestamp - 30 * DAY).replace(**changes)


# --- appraisers -----------------------------------------------------------------------------


@pytest.mark.parametrize("authority", ["admin", "regulator"])
def test_the_admin_or_a_regulator_accredits_removes_and_reaccredits(
    rights: Rights, chain: ChainClient, deployment: DeploymentManifest, authority: str
) -> None:
    v = Valuations(chain, deployment)
    by = rights.admin if authority == "admin" else REGULATOR
    account = OTHER.address
    assert v.appraiser(account) == {
        "accredited": False,
        "accreditedAt": 0,
        "removedAt": 0,
        "accreditationHash": ZERO32,
    }
    assert v.call("isAppraiser", [account]) is False

    receipt = v.accredit(account, by)
    accredited_at = chain.block(receipt.block_number).timestamp
    args = event(receipt, "AppraiserAccredited").args
    assert same(args["appraiser"], account)
    assert args["accreditationHash"] == hex32(ACCREDITATION)
    assert same(args["by"], by.address)
    assert v.appraiser(account) == {
        "accredited": True,
        "accreditedAt": accredited_at,
        "removedAt": 0,
        "accreditationHash": ACCREDITATION,
    }
    assert v.call("isAppraiser", [account]) is True

    travel(chain, DAY)
    receipt = v.tx("removeAppraiser", [account, h("licence suspended")], by)
    removed_at = chain.block(receipt.block_number).timestamp
    args = event(receipt, "AppraiserRemoved").args
    assert same(args["appraiser"], account)
    assert args["reasonHash"] == hex32(h("licence suspended"))
    assert same(args["by"], by.address)
    assert v.appraiser(account) == {
        "accredited": False,
        "accreditedAt": accredited_at,
        "removedAt": removed_at,
        "accreditationHash": ACCREDITATION,
    }
    assert v.call("isAppraiser", [account]) is False

    travel(chain, DAY)
    receipt = v.accredit(account, by, h("renewed accreditation"))
    again_at = chain.block(receipt.block_number).timestamp
    assert again_at > accredited_at
    assert v.appraiser(account) == {
        "accredited": True,
        "accreditedAt": again_at,
        "removedAt": 0,
        "accreditationHash": h("renewed accreditation"),
    }


def test_nobody_else_accredits_or_removes(
    valuations: Valuations, rights: Rights, chain: ChainClient
) -> None:
    for outsider in (HOLDER, OTHER, APPRAISER, registrar()):
        expect(
            valuations.refused("accreditAppraiser", [BUYER.address, ACCREDITATION], outsider),
            "ValuationNotAuthorized",
            account=outsider.address,
        )
        expect(
            valuations.refused("removeAppraiser", [APPRAISER2.address, ZERO32], outsider),
            "ValuationNotAuthorized",
            account=outsider.address,
        )
    # a regulator whose role was revoked is an outsider again
    rights.tx(
        AUTHORITY, "revokeRole", [keccak(text="REGULATOR_ROLE"), REGULATOR.address], rights.admin
    )
    expect(
        valuations.refused("removeAppraiser", [APPRAISER2.address, ZERO32], REGULATOR),
        "ValuationNotAuthorized",
        account=REGULATOR.address,
    )
    assert valuations.call("isAppraiser", [APPRAISER2.address]) is True


def test_accreditation_refusals(valuations: Valuations, rights: Rights) -> None:
    admin = rights.admin
    expect(
        valuations.refused("accreditAppraiser", [APPRAISER.address, ACCREDITATION], admin),
        "ValuationAppraiserAlreadyAccredited",
        appraiser=APPRAISER.address,
    )
    expect(
        valuations.refused("removeAppraiser", [OTHER.address, ZERO32], admin),
        "ValuationAppraiserNotAccredited",
        appraiser=OTHER.address,
    )
    valuations.tx("removeAppraiser", [APPRAISER.address, ZERO32], admin)
    expect(
        valuations.refused("removeAppraiser", [APPRAISER.address, ZERO32], admin),
        "ValuationAppraiserNotAccredited",
        appraiser=APPRAISER.address,
    )
    expect(
        valuations.refused("accreditAppraiser", [ZERO_ADDRESS, ACCREDITATION], admin),
        "ValuationInvalidInput",
        field="appraiser",
    )
    expect(
        valuations.refused("accreditAppraiser", [OTHER.address, ZERO32], admin),
        "ValuationInvalidInput",
        field="accreditationHash",
    )


# --- submitting -----------------------------------------------------------------------------


def test_an_appraiser_submits_a_valuation_and_the_event_carries_every_field(
    valuations: Valuations, chain: ChainClient, token: int
) -> None:
    assert valuations.of(token) == []
    assert valuations.latest(token) == 0
    valuation = valid_input(
        chain,
        method=Method.COMBINED,
        value=2**128 - 1,
        currency=b"USD",
        value_type=ValueType.ORDERLY_LIQUIDATION_VALUE,
        purpose=Purpose.FINANCIAL_REPORTING,
    )
    valuation_id, receipt = valuations.submit(token, valuation)
    submitted_at = chain.block(receipt.block_number).timestamp
    expected = {
        "tokenId": token,
        "appraiser": APPRAISER.address,
        "assetVersion": 1,
        "value": 2**128 - 1,
        "submittedAt": submitted_at,
        "baseDate": valuation.base_date,
        "currency": b"USD",
        "method": Method.COMBINED,
        "valueType": ValueType.ORDERLY_LIQUIDATION_VALUE,
        "purpose": Purpose.FINANCIAL_REPORTING,
        "status": ValuationStatus.ACTIVE,
        "withdrawnAt": 0,
        "reportHash": valuation.report_hash,
        "factsHash": valuation.facts_hash,
    }
    assert valuations.valuation(valuation_id) == expected
    assert valuations.of(token) == [valuation_id]
    assert valuations.latest(token) == valuation_id

    args = event(receipt, "ValuationSubmitted").args
    assert args["valuationId"] == valuation_id
    assert args["tokenId"] == token
    assert same(args["appraiser"], APPRAISER.address)
    assert args["reportURI"] == valuation.report_uri
    carried = valuations.as_dict("valuation", args["valuation"])
    carried["appraiser"] = to_checksum_address(carried["appraiser"])
    assert carried == expected  # the full stored record rides in the event


@pytest.mark.parametrize("method", list(Method)[1:])
@pytest.mark.parametrize("purpose", [Purpose.PLEDGE_FINANCING, Purpose.LITIGATION, Purpose.OTHER])
def test_every_method_and_purpose_is_accepted(
    valuations: Valuations, chain: ChainClient, token: int, method: Method, purpose: Purpose
) -> None:
    valuation_id, _ = valuations.submit(
        token, valid_input(chain, method=method, purpose=purpose, value_type=ValueType.OTHER_VALUE)
    )
    stored = valuations.valuation(valuation_id)
    assert (stored["method"], stored["purpose"], stored["valueType"]) == (
        method,
        purpose,
        ValueType.OTHER_VALUE,
    )


def test_optional_fields_may_be_empty_and_the_uri_may_use_every_byte_allowed(
    valuations: Valuations, chain: ChainClient, token: int
) -> None:
    now = chain.block().timestamp
    bare = valid_input(chain, facts_hash=ZERO32, report_uri="", base_date=now)
    valuation_id, receipt = valuations.submit(token, bare)
    assert valuations.valuation(valuation_id)["factsHash"] == ZERO32
    assert valuations.valuation(valuation_id)["baseDate"] == now  # the base date may be today
    assert event(receipt, "ValuationSubmitted").args["reportURI"] == ""
    longest = "https://r.example/" + "x" * (MAX_REPORT_URI_LENGTH - len("https://r.example/"))
    assert len(longest.encode()) == MAX_REPORT_URI_LENGTH
    _, receipt = valuations.submit(token, valid_input(chain, report_uri=longest))
    assert event(receipt, "ValuationSubmitted").args["reportURI"] == longest
    assert valuations.call("MAX_REPORT_URI_LENGTH") == MAX_REPORT_URI_LENGTH
    visible = "".join(chr(c) for c in range(0x21, 0x7F))  # every byte the contract allows
    _, receipt = valuations.submit(token, valid_input(chain, report_uri=visible))
    assert event(receipt, "ValuationSubmitted").args["reportURI"] == visible


def test_only_accredited_appraisers_submit(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    valuation = valid_input(chain)
    for outsider in (HOLDER, OTHER, REGULATOR, rights.admin, registrar()):
        expect(
            valuations.submit_refused(token, valuation, outsider),
            "ValuationNotAppraiser",
            account=outsider.address,
        )
    valuations.submit(token, valuation, APPRAISER2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"method": Method.NONE}, "method"),
        ({"value": 0}, "value"),
        ({"currency": b"cny"}, "currency"),
        ({"currency": b"Cny"}, "currency"),
        ({"currency": b"CN1"}, "currency"),
        ({"currency": b"CN "}, "currency"),
        ({"currency": b"\x00\x00\x00"}, "currency"),
        ({"currency": b"CN["}, "currency"),
        ({"currency": b"@NY"}, "currency"),
        ({"value_type": ValueType.NONE}, "valueType"),
        ({"base_date": 0}, "baseDate"),
        ({"purpose": Purpose.NONE}, "purpose"),
        ({"report_hash": ZERO32}, "reportHash"),
        ({"report_uri": "x" * (MAX_REPORT_URI_LENGTH + 1)}, "reportURI"),
        # visible ASCII only: readers (indexers, PostgreSQL text) never meet NUL or bad UTF-8
        ({"report_uri": "https://r.example/a b"}, "reportURI"),
        ({"report_uri": "https://r.example/\x00"}, "reportURI"),
        ({"report_uri": "https://r.example/\x7f"}, "reportURI"),
        ({"report_uri": "https://r.example/评估报告"}, "reportURI"),
    ],
)
def test_malformed_input_is_refused(
    valuations: Valuations, chain: ChainClient, token: int, changes: dict[str, Any], field: str
) -> None:
    expect(
        valuations.submit_refused(token, valid_input(chain, **changes)),
        "ValuationInvalidInput",
        field=field,
    )
    assert valuations.of(token) == []


def test_a_base_date_in_the_future_is_refused(
    valuations: Valuations, chain: ChainClient, token: int
) -> None:
    tomorrow = chain.block().timestamp + DAY
    error = valuations.submit_refused(token, valid_input(chain, base_date=tomorrow))
    expect(error, "ValuationBaseDateInFuture", baseDate=tomorrow)
    assert error.args_by_name["blockTime"] < tomorrow
    travel(chain, DAY)
    valuations.submit(token, valid_input(chain, base_date=tomorrow))


def test_the_asset_version_must_be_recorded(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    for version in (0, 2):
        expect(
            valuations.submit_refused(token, valid_input(chain, asset_version=version)),
            "ValuationUnknownVersion",
            tokenId=token,
            version=version,
            current=1,
        )
    rights.tx(REGISTRY, "change", [token, h("fingerprint v2"), h("metadata v2")], HOLDER)
    for version in (1, 2):
        valuation_id, _ = valuations.submit(token, valid_input(chain, asset_version=version))
        assert valuations.valuation(valuation_id)["assetVersion"] == version
    expect(
        valuations.submit_refused(token, valid_input(chain, asset_version=3)),
        "ValuationUnknownVersion",
        version=3,
        current=2,
    )


def test_an_unknown_certificate_is_refused(valuations: Valuations, chain: ChainClient) -> None:
    expect(
        valuations.submit_refused(999, valid_input(chain)),
        "RegistryUnknownRegistration",
        id=999,
    )


def test_a_certificate_that_is_not_issued_cannot_be_valued(
    valuations: Valuations, ctx: RegistryContext, chain: ChainClient
) -> None:
    service = ctx.registrations
    submitted = service.sign_and_submit(
        metadata(HOLDER.address, 0x71), REGISTRAR_CODE, HOLDER, ctx.operator
    ).id
    valuation = valid_input(chain)
    expect(
        valuations.submit_refused(submitted, valuation),
        "ValuationCertificateNotIssued",
        tokenId=submitted,
        status=CertStatus.SUBMITTED,
    )
    service.accept(submitted, registrar())
    service.open_notice(submitted, registrar())
    expect(
        valuations.submit_refused(submitted, valuation),
        "ValuationCertificateNotIssued",
        status=CertStatus.IN_NOTICE,
    )
    cancelled, revoked = issue_certificates(
        ctx, chain, [CertificateSpec(HOLDER), CertificateSpec(HOLDER)], fp_base=0x72
    )
    service.cancel(cancelled, "retired", HOLDER)
    service.revoke(revoked, 3, "fraud", registrar())
    for token, status in ((cancelled, CertStatus.CANCELLED), (revoked, CertStatus.REVOKED)):
        expect(
            valuations.submit_refused(token, valid_input(chain)),
            "ValuationCertificateNotIssued",
            tokenId=token,
            status=status,
        )


def test_an_expired_certificate_cannot_be_valued(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    earlier, _ = valuations.submit(token, valid_input(chain))
    valid_until = rights.valid_until(token)
    travel(chain, valid_until - rights.now() + 1)
    assert rights.state(token)[1] == CertStatus.EXPIRED
    expect(
        valuations.submit_refused(token, valid_input(chain)),
        "ValuationCertificateNotIssued",
        tokenId=token,
        status=CertStatus.EXPIRED,
    )
    # what was recorded stays, and its appraiser may still withdraw it
    assert valuations.valuation(earlier)["status"] == ValuationStatus.ACTIVE
    valuations.tx("withdrawValuation", [earlier, ZERO32], APPRAISER)


# --- removal and withdrawal -----------------------------------------------------------------


def test_a_removed_appraiser_cannot_submit_but_its_valuations_remain_and_it_withdraws_them(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    first, _ = valuations.submit(token, valid_input(chain))
    second, _ = valuations.submit(token, valid_input(chain))
    before = valuations.valuation(first)
    travel(chain, DAY)
    receipt = valuations.tx("removeAppraiser", [APPRAISER.address, h("misconduct")], REGULATOR)
    removed_at = chain.block(receipt.block_number).timestamp
    expect(
        valuations.submit_refused(token, valid_input(chain)),
        "ValuationNotAppraiser",
        account=APPRAISER.address,
    )
    # readable as before; the appraiser record tells a client the appraiser was removed after
    assert valuations.valuation(first) == before
    assert valuations.latest(token) == second
    record = valuations.appraiser(APPRAISER.address)
    assert record["accredited"] is False
    assert record["removedAt"] == removed_at > before["submittedAt"]
    # another appraiser cannot withdraw them; their own (removed) appraiser can
    expect(
        valuations.refused("withdrawValuation", [second, ZERO32], APPRAISER2),
        "ValuationNotOwnAppraisal",
        valuationId=second,
        account=APPRAISER2.address,
    )
    valuations.tx("withdrawValuation", [second, h("licence withdrawn")], APPRAISER)
    assert valuations.latest(token) == first


def test_only_its_own_appraiser_withdraws_and_only_once(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    valuation_id, _ = valuations.submit(token, valid_input(chain))
    for outsider in (APPRAISER2, HOLDER, REGULATOR, rights.admin):
        expect(
            valuations.refused("withdrawValuation", [valuation_id, ZERO32], outsider),
            "ValuationNotOwnAppraisal",
            valuationId=valuation_id,
            account=outsider.address,
        )
    before = valuations.valuation(valuation_id)
    receipt = valuations.tx("withdrawValuation", [valuation_id, h("data error")], APPRAISER)
    withdrawn_at = chain.block(receipt.block_number).timestamp
    args = event(receipt, "ValuationWithdrawn").args
    assert args["valuationId"] == valuation_id
    assert args["tokenId"] == token
    assert same(args["appraiser"], APPRAISER.address)
    assert args["reasonHash"] == hex32(h("data error"))
    # nothing but the status and its time changes
    after = valuations.valuation(valuation_id)
    assert after == {**before, "status": ValuationStatus.WITHDRAWN, "withdrawnAt": withdrawn_at}
    assert valuations.of(token) == [valuation_id]
    expect(
        valuations.refused("withdrawValuation", [valuation_id, ZERO32], APPRAISER),
        "ValuationNotActive",
        valuationId=valuation_id,
    )
    expect(
        valuations.refused("withdrawValuation", [valuation_id + 1, ZERO32], APPRAISER),
        "ValuationUnknown",
        valuationId=valuation_id + 1,
    )


def test_a_withdrawn_valuation_is_never_the_latest(
    valuations: Valuations, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    other_token = issue_certificates(ctx, chain, [CertificateSpec(HOLDER)], fp_base=0x78)[0]
    a, _ = valuations.submit(token, valid_input(chain))
    elsewhere, _ = valuations.submit(other_token, valid_input(chain), APPRAISER2)
    b, _ = valuations.submit(token, valid_input(chain), APPRAISER2)
    assert valuations.of(token) == [a, b]
    assert valuations.of(other_token) == [elsewhere]
    assert valuations.latest(token) == b
    valuations.tx("withdrawValuation", [b, ZERO32], APPRAISER2)
    assert valuations.latest(token) == a
    valuations.tx("withdrawValuation", [a, ZERO32], APPRAISER)
    assert valuations.latest(token) == 0
    assert valuations.of(token) == [a, b]  # withdrawn ones stay listed
    assert valuations.latest(other_token) == elsewhere
    c, _ = valuations.submit(token, valid_input(chain))
    assert valuations.latest(token) == c


def test_an_unknown_valuation_is_refused(valuations: Valuations) -> None:
    for unknown in (0, 1, 2**256 - 1):
        with pytest.raises(ContractRevertError) as refusal:
            valuations.call("valuation", [unknown])
        expect(refusal.value, "ValuationUnknown", valuationId=unknown)
    assert valuations.latest(12345) == 0
    assert valuations.of(12345) == []


# --- accounting class -----------------------------------------------------------------------


def test_the_holder_records_the_accounting_class(
    valuations: Valuations, rights: Rights, token: int
) -> None:
    assert valuations.accounting_class(token) == AccountingClass.NONE
    for chosen in (AccountingClass.INTANGIBLE_ASSET, AccountingClass.INVENTORY):
        receipt = valuations.tx("setAccountingClass", [token, chosen], HOLDER)
        args = event(receipt, "AccountingClassSet").args
        assert args["tokenId"] == token
        assert args["accountingClass"] == chosen
        assert same(args["holder"], HOLDER.address)
        assert valuations.accounting_class(token) == chosen
    for outsider in (OTHER, APPRAISER, REGULATOR, rights.admin):
        expect(
            valuations.refused(
                "setAccountingClass", [token, AccountingClass.INTANGIBLE_ASSET], outsider
            ),
            "ValuationNotHolder",
            tokenId=token,
            account=outsider.address,
        )
    expect(
        valuations.refused("setAccountingClass", [token, AccountingClass.NONE], HOLDER),
        "ValuationInvalidInput",
        field="accountingClass",
    )
    assert valuations.accounting_class(token) == AccountingClass.INVENTORY


def test_after_a_transfer_the_new_holder_chooses_the_accounting_class(
    valuations: Valuations, rights: Rights, token: int
) -> None:
    valuations.tx("setAccountingClass", [token, AccountingClass.INVENTORY], HOLDER)
    rights.set_country(BUYER.address, "CN", REGULATOR)  # v2: a recipient needs a country
    rights.tx(AGENT, "transfer", [token, BUYER.address, 1, h("sale")], HOLDER)
    # the seller's choice was the seller's: the buyer has not chosen yet
    assert valuations.accounting_class(token) == AccountingClass.NONE
    expect(
        valuations.refused("setAccountingClass", [token, AccountingClass.INVENTORY], HOLDER),
        "ValuationNotHolder",
        account=HOLDER.address,
    )
    receipt = valuations.tx("setAccountingClass", [token, AccountingClass.INTANGIBLE_ASSET], BUYER)
    assert same(event(receipt, "AccountingClassSet").args["holder"], BUYER.address)
    assert valuations.accounting_class(token) == AccountingClass.INTANGIBLE_ASSET


def test_the_accounting_class_of_a_certificate_that_is_not_issued_is_refused(
    valuations: Valuations, ctx: RegistryContext, token: int
) -> None:
    ctx.registrations.cancel(token, "retired", HOLDER)
    expect(
        valuations.refused("setAccountingClass", [token, AccountingClass.INVENTORY], HOLDER),
        "ValuationCertificateNotIssued",
        tokenId=token,
        status=CertStatus.CANCELLED,
    )


# --- relayed and mapped ---------------------------------------------------------------------


def test_a_relayed_valuation_records_the_appraiser_not_the_relayer(
    valuations: Valuations, ctx: RegistryContext, chain: ChainClient, token: int
) -> None:
    poor: LocalAccount = Account.from_key(keccak(text="dareg appraiser without gas"))
    assert ctx.client.balance(poor.address) == 0
    valuations.accredit(poor.address, REGULATOR)
    valuation = valid_input(chain)
    call = ContractCall(VALUATIONS, "submitValuation", (token, valuation.as_tuple()))
    request = ctx.relay.prepare(call, poor.address)
    receipt = ctx.relay.submit(request, ctx.relay.sign(request, poor), ctx.operator)
    args = event(receipt, "ValuationSubmitted").args
    assert same(args["appraiser"], poor.address)
    stored = valuations.valuation(int(args["valuationId"]))
    assert stored["appraiser"] == poor.address != ctx.operator.address
    assert ctx.client.balance(poor.address) == 0  # the operator paid
    # the relay refuses before anyone signs when the signer is no appraiser
    stranger: LocalAccount = Account.from_key(keccak(text="dareg not an appraiser"))
    with pytest.raises(ContractRevertError) as refusal:
        ctx.relay.prepare(call, stranger.address)
    expect(refusal.value, "ValuationNotAppraiser", account=stranger.address)
    assert refusal.value.http_status == 403


def test_refusals_map_to_http_statuses(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    valuation_id, _ = valuations.submit(token, valid_input(chain))
    admin = rights.admin
    cases = [
        (valuations.refused("accreditAppraiser", [BUYER.address, ACCREDITATION], OTHER), 403),
        (valuations.refused("accreditAppraiser", [APPRAISER.address, ACCREDITATION], admin), 409),
        (valuations.refused("removeAppraiser", [BUYER.address, ZERO32], admin), 409),
        (valuations.submit_refused(token, valid_input(chain), OTHER), 403),
        (valuations.submit_refused(token, valid_input(chain, value=0)), 422),
        (valuations.submit_refused(token, valid_input(chain, base_date=2**40)), 422),
        (valuations.submit_refused(token, valid_input(chain, asset_version=9)), 404),
        (valuations.refused("withdrawValuation", [valuation_id, ZERO32], APPRAISER2), 403),
        (valuations.refused("withdrawValuation", [99, ZERO32], APPRAISER), 404),
        (valuations.refused("setAccountingClass", [token, 1], OTHER), 403),
    ]
    valuations.tx("withdrawValuation", [valuation_id, ZERO32], APPRAISER)
    cases.append((valuations.refused("withdrawValuation", [valuation_id, ZERO32], APPRAISER), 409))
    for error, status in cases:
        assert error.http_status == status, f"{error.error_name}: {error.http_status} != {status}"


def test_valuation_writes_stop_while_paused_and_reads_keep_working(
    valuations: Valuations, rights: Rights, chain: ChainClient, token: int
) -> None:
    """v2: every state change of ValuationRegistry is refused while the authority is paused."""
    valuation_id, _ = valuations.submit(token, valid_input(chain))
    pauser = dev_account(21)
    chain.rpc("anvil_setBalance", [pauser.address, hex(10**18)])
    rights.tx(AUTHORITY, "grantRole", [keccak(text="PAUSER_ROLE"), pauser.address], rights.admin)
    rights.tx(AUTHORITY, "pause", [], pauser)
    try:
        for function, args, signer in (
            ("accreditAppraiser", [BUYER.address, ACCREDITATION], rights.admin),
            ("removeAppraiser", [APPRAISER2.address, ZERO32], REGULATOR),
            ("submitValuation", [token, valid_input(chain).as_tuple()], APPRAISER),
            ("withdrawValuation", [valuation_id, ZERO32], APPRAISER),
            ("setAccountingClass", [token, AccountingClass.INVENTORY], HOLDER),
        ):
            expect(valuations.refused(function, args, signer), "EnforcedPause")
        assert valuations.latest(token) == valuation_id
        assert valuations.call("isAppraiser", [APPRAISER2.address]) is True
    finally:
        rights.tx(AUTHORITY, "unpause", [], pauser)
