"""The valuation service end to end against the real ValuationRegistry."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.domain.numbers import CST
from registry.domain.valuation import (
    AccountingClass,
    ValuationMethod,
    ValuationStatus,
    ValuationSubmission,
)
from registry.errors import InputError, ValuationNotFoundError
from tests.registry.registration.conftest import metadata, travel
from tests.registry.rights.test_service import (
    DAY,
    buyer,
    chain_now,
    grant_regulator,
    holder,
    issue,
    refused,
)

REPORT = "0x" + hashlib.sha256(b"appraisal report No. 17").hexdigest()
INCOME = {
    "currency": "CNY",
    "cash_flows": ["1000000", "1200000", "1300000"],
    "discount_rate": "0.1",
    "contribution_share": "0.3",
    "horizon": 3,
}


def appraiser() -> LocalAccount:
    return dev_account(9)


def today(ctx: RegistryContext) -> date:
    return (chain_now(ctx.client) + CST).date()


def submission(ctx: RegistryContext, **changes: Any) -> ValuationSubmission:
    base: dict[str, Any] = {
        "method": "income",
        "value": 12_000_000_00,
        "currency": "CNY",
        "value_type": "market_value",
        "base_date": today(ctx) - timedelta(days=10),
        "purpose": "pledge_financing",
        "report_hash": REPORT,
        "report_uri": "https://appraiser.example/reports/17.pdf",
    }
    base.update(changes)
    return ValuationSubmission.model_validate(base)


def accredited(ctx: RegistryContext, account: LocalAccount | None = None) -> LocalAccount:
    account = account or appraiser()
    ctx.valuations.accredit(
        account.address, "中联资产评估集团 资格证书 11020001", grant_regulator(ctx)
    )
    return account


def test_an_appraiser_attests_and_withdrawn_valuations_never_count_as_latest(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx)
    service = ctx.valuations
    with refused("ValuationNotAppraiser", 403):
        service.submit(token, submission(ctx), appraiser())
    firm = accredited(ctx)
    assert service.appraiser(firm.address).accredited
    first = service.submit(token, submission(ctx), firm)
    assert (first.token_id, first.appraiser, first.value, first.currency) == (
        token,
        firm.address,
        12_000_000_00,
        "CNY",
    )
    assert (first.method, first.asset_version, first.report_hash) == (
        ValuationMethod.INCOME,
        1,
        REPORT,
    )
    assert first.base_date == today(ctx) - timedelta(days=10)
    assert first.facts_hash is not None  # the current metadata's scale, structure, frequency
    facts = service.documents.get(bytes.fromhex(first.facts_hash[2:]))
    assert facts is not None
    assert json.loads(facts[0])["update_frequency"] == "monthly"
    second = service.submit(token, submission(ctx, value=11_000_000_00), firm)
    assert service.latest_of(token) == second
    withdrawn = service.withdraw(second.id, "基准日数据有误", firm)
    assert withdrawn.status is ValuationStatus.WITHDRAWN
    assert withdrawn.withdrawn_at is not None
    assert service.latest_of(token) == first
    assert [v.id for v in service.valuations_of(token)] == [first.id, second.id]
    with refused("ValuationNotActive", 409):
        service.withdraw(second.id, "again", firm)
    other = accredited(ctx, dev_account(10))
    with refused("ValuationNotOwnAppraisal", 403):
        service.withdraw(first.id, "not mine", other)
    with pytest.raises(ValuationNotFoundError):
        service.valuation(999)

    # a removed appraiser attests no more; its valuation stays, marked by its status
    removed = service.remove(firm.address, "资格被撤销", grant_regulator(ctx))
    assert removed.removed
    assert service.latest_of(token) == first
    with refused("ValuationNotAppraiser", 403):
        service.submit(token, submission(ctx), firm)
    with refused("ValuationNotAuthorized", 403):
        service.accredit(buyer().address, "not a regulator", holder())


def test_a_computed_valuation_records_its_computation_as_the_report(ctx: RegistryContext) -> None:
    token = issue(ctx)
    firm = accredited(ctx)
    result = ctx.valuations.compute("income", INCOME)
    computed = submission(
        ctx, value=None, currency=None, report_hash=None,
        computation={"method": "income", "inputs": INCOME},
    )  # fmt: skip
    valuation = ctx.valuations.submit(token, computed, firm)
    assert (valuation.value, valuation.currency) == (result.value_minor, "CNY")
    assert valuation.report_hash == "0x" + result.digest().hex()
    stored = ctx.valuations.documents.get(result.digest())
    assert stored is not None
    assert stored[0] == result.record.to_json()
    # the submission must agree with its computation
    for field, value in (("value", result.value_minor + 1), ("currency", "USD")):
        with pytest.raises(InputError, match=field):
            ctx.valuations.submission_call(token, computed.model_copy(update={field: value}))
    market = computed.model_copy(update={"method": ValuationMethod.MARKET})
    with pytest.raises(InputError, match="method"):
        ctx.valuations.submission_call(token, market)


def test_malformed_valuations_are_refused_with_clear_errors(ctx: RegistryContext) -> None:
    token = issue(ctx)
    accredited(ctx)
    with pytest.raises(ValidationError, match="ISO 4217"):
        submission(ctx, currency="RMB")
    with pytest.raises(ValidationError, match="greater than 0"):
        submission(ctx, value=-5)
    with pytest.raises(ValidationError, match="either report_hash or computation"):
        submission(ctx, report_hash=None)
    with pytest.raises(ValidationError, match="not 'none'"):
        submission(ctx, method="none")
    with pytest.raises(ValidationError, match="32 bytes"):
        submission(ctx, report_hash="0x1234")
    with pytest.raises(InputError, match="in the future"):
        ctx.valuations.submission_call(
            token, submission(ctx, base_date=today(ctx) + timedelta(days=1))
        )
    with pytest.raises(InputError, match="version 2 does not exist"):
        ctx.valuations.submission_call(token, submission(ctx, asset_version=2))
    with pytest.raises(InputError, match="reason"):
        ctx.valuations.withdrawal_call(1, " ")
    with pytest.raises(InputError, match="accreditation"):
        ctx.valuations.accreditation_call(appraiser().address, "")


def test_staleness_by_age_and_by_a_newer_data_version(ctx: RegistryContext) -> None:
    token = issue(ctx)
    firm = accredited(ctx)
    valuation = ctx.valuations.submit(token, submission(ctx, base_date=today(ctx)), firm)
    assert ctx.valuations.stale_reasons(valuation) == []
    submitted_block = ctx.client.head()
    travel(ctx.client, 365 * DAY)
    assert ctx.valuations.stale_reasons(valuation) == []  # exactly the policy age: current
    travel(ctx.client, DAY)
    [reason] = ctx.valuations.stale_reasons(valuation)
    assert "more than 365 days" in reason
    assert ctx.valuations.stale_reasons(valuation, submitted_block) == []  # as of then
    fresh = ctx.valuations.submit(token, submission(ctx, base_date=today(ctx)), firm)
    assert ctx.valuations.stale_reasons(fresh) == []
    ctx.registrations.change(token, metadata(holder().address, 0xB7), holder())
    [reason] = ctx.valuations.stale_reasons(fresh)
    assert "version 1; the asset is at version 2" in reason
    newer = ctx.valuations.submit(token, submission(ctx, base_date=today(ctx)), firm)
    assert (newer.asset_version, ctx.valuations.stale_reasons(newer)) == (2, [])


def test_the_holder_records_the_accounting_class(ctx: RegistryContext) -> None:
    token = issue(ctx)
    assert ctx.valuations.accounting_class_of(token) is None
    with refused("ValuationNotHolder", 403):
        ctx.valuations.set_accounting_class(token, "inventory", buyer())
    assert ctx.valuations.set_accounting_class(token, "intangible_asset", holder()) is (
        AccountingClass.INTANGIBLE_ASSET
    )
    with pytest.raises(InputError, match="intangible_asset or inventory"):
        ctx.valuations.accounting_call(token, "none")
    ctx.rights.transfer(token, buyer().address, "sale", None, holder())
    ctx.valuations.set_accounting_class(token, "inventory", buyer())
    assert ctx.valuations.accounting_class_of(token) is AccountingClass.INVENTORY
