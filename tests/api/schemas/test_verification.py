"""The lending answer for a number this registry does not know."""

from __future__ import annotations

from datetime import UTC, datetime

from api.schemas.verification import VerificationPublic
from registry.verification.service import Verdict, Verification

_WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_an_unknown_number_states_only_the_frame_and_the_verdict() -> None:
    answer = Verification(
        number="12345678901234567",
        genuine=False,
        chain_id=31337,
        contract="0xc",
        as_of_block=7,
        as_of_time=_WHEN,
        asset_name="not shown without a registration",
        verdict=Verdict(False, ("not found",), ()),
    )
    body = VerificationPublic.of(answer).model_dump()
    assert body["asset_name"] is None
    assert (body["pledges"], body["licences"], body["frozen"]) == ([], [], False)
    assert (body["lendable"], body["blockers"], body["cautions"]) == (False, ["not found"], [])
    assert (body["number"], body["as_of_block"], body["as_of_time"]) == (
        "12345678901234567",
        7,
        _WHEN,
    )
