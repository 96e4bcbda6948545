"""Pledges, licences, transfers and freezes read from the chain and from the mirror."""

from __future__ import annotations

from datetime import UTC, datetime

from api.schemas.rights import (
    FreezePublic,
    FreezeStatePublic,
    LicencePublic,
    LicenceRecordPublic,
    PledgePublic,
    PledgeRecordPublic,
    TransferRecordPublic,
)
from registry.domain.registration import Right
from registry.domain.rights import (
    Licence,
    LicenceStatus,
    Pledge,
    PledgeStatus,
    Purpose,
    Territory,
    Transfer,
    TransferReason,
)

_WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _pledge() -> Pledge:
    return Pledge(
        id=3,
        token_id=1,
        pledgor="0xa",
        pledgee="0xb",
        secured_amount=500_000_000,
        currency="CNY",
        loan_ref="0x" + "11" * 32,
        registered_at=_WHEN,
        maturity=_WHEN,
        status=PledgeStatus.LIVE,
    )


def test_a_pledge_from_the_chain_has_its_amount_and_no_mirror_fields() -> None:
    body = PledgeRecordPublic.of(_pledge(), "12345678901234567")
    dumped = body.model_dump()
    assert list(dumped)[:7] == [
        "id",
        "token_id",
        "certificate_number",
        "pledgor",
        "pledgee",
        "secured_amount",
        "amount",
    ]
    assert (dumped["amount"], dumped["live"]) == ("5000000.00", True)
    assert dumped["certificate_number"] == "12345678901234567"
    assert dumped["closed_at"] is dumped["registered_block"] is None


def test_the_compact_pledge_is_the_record_less_its_other_fields() -> None:
    record = PledgeRecordPublic.of(_pledge(), None).model_dump()
    compact = PledgePublic.model_validate(_pledge()).model_dump()
    assert compact == {k: record[k] for k in PledgePublic.model_fields}
    assert set(PledgePublic.model_fields) < set(PledgeRecordPublic.model_fields)


def _licence() -> Licence:
    return Licence(
        id=2,
        voucher_number="XK-1",
        token_id=1,
        parent_id=None,
        licensor="0xa",
        licensee="0xb",
        right=Right.PROCESSING_USE,
        exclusive=False,
        sublicensable=True,
        purposes=frozenset(Purpose),
        territories=frozenset(Territory),
        granted_at=_WHEN,
        start=_WHEN,
        end=_WHEN,
        status=LicenceStatus.ACTIVE,
        terms_hash="0x" + "22" * 32,
        fee_terms_hash=None,
        live=True,
    )


def test_a_licence_lists_its_purposes_and_territories_in_bit_order() -> None:
    body = LicenceRecordPublic.of(_licence(), None)
    assert body.purposes == sorted(Purpose, key=lambda m: m.bit)
    assert body.territories == sorted(Territory, key=lambda m: m.bit)
    assert body.granted_tx_hash is None
    assert set(LicencePublic.model_validate(_licence()).model_dump()) == set(
        LicencePublic.model_fields
    )


def test_a_transfer_names_its_sender_from_address() -> None:
    moved = Transfer(
        token_id=1,
        from_="0xa",
        to="0xb",
        reason=TransferReason.SALE,
        document_hash=None,
        tx_hash="0xt",
        block_number=9,
    )
    body = TransferRecordPublic.of(moved).model_dump()
    assert (body["from_address"], body["transferred_at"]) == ("0xa", None)


def test_the_compact_freeze_describes_its_case_as_the_freeze_state_does() -> None:
    assert (
        FreezePublic.model_fields["case_ref"].description
        == FreezeStatePublic.model_fields["case_ref"].description
    )
