"""The one computation of a certificate's standing, and the headline every document shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from registry.certificates.standing import (
    Encumbrance,
    Lifecycle,
    Standing,
    lifecycle_of,
    standing,
)
from registry.context import RegistryContext
from registry.domain.registration import Status

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _standing(lifecycle: Lifecycle, *encumbrances: Encumbrance) -> Standing:
    return Standing(
        lifecycle=lifecycle, encumbrances=list(encumbrances), as_of_block=7, as_of_time=AT
    )


def test_only_an_unencumbered_certificate_in_force_is_clear() -> None:
    assert _standing(Lifecycle.IN_FORCE).clear
    assert _standing(Lifecycle.IN_FORCE).headline == "有效 In force"
    assert _standing(Lifecycle.IN_FORCE).severity == "ok"
    for encumbrance in Encumbrance:
        encumbered = _standing(Lifecycle.IN_FORCE, encumbrance)
        assert not encumbered.clear
        assert encumbered.severity in ("caution", "bad")
        assert encumbered.headline != "有效 In force"
    assert _standing(Lifecycle.IN_FORCE, Encumbrance.FROZEN).severity == "bad"
    assert _standing(Lifecycle.IN_FORCE, Encumbrance.PLEDGED).severity == "caution"
    for ended in (Lifecycle.EXPIRED, Lifecycle.CANCELLED, Lifecycle.REVOKED):
        assert _standing(ended).severity == "bad"
        assert not _standing(ended).in_force


def test_the_headline_names_every_encumbrance_in_order() -> None:
    both = _standing(Lifecycle.IN_FORCE, Encumbrance.FROZEN, Encumbrance.PLEDGED)
    assert both.headline == "有效 · 已冻结 · 已质押 In force · frozen · pledged"
    assert (both.frozen, both.pledged, both.under_objection) == (True, True, False)


def test_lifecycle_of_statuses() -> None:
    assert lifecycle_of(Status.ISSUED) is Lifecycle.IN_FORCE
    assert lifecycle_of(Status.EXPIRED) is Lifecycle.EXPIRED
    assert lifecycle_of(Status.CANCELLED) is Lifecycle.CANCELLED
    assert lifecycle_of(Status.REVOKED) is Lifecycle.REVOKED
    with pytest.raises(ValueError, match="in_notice has no certificate"):
        lifecycle_of(Status.IN_NOTICE)


def test_standing_of_a_registration(ctx: RegistryContext, certificate: str) -> None:
    registration = ctx.registrations.by_certificate_number(certificate)
    doc = ctx.certificates.document(certificate)
    assert doc.standing.clear
    assert doc.standing.as_of_block == ctx.client.head()
    objected = replace(registration, open_objections=2)
    got = standing(
        objected,
        frozen=True,
        pledged=False,
        exclusively_licensed=True,
        as_of_block=9,
        as_of_time=AT,
    )
    assert got.lifecycle is Lifecycle.IN_FORCE
    assert got.encumbrances == [
        Encumbrance.FROZEN,
        Encumbrance.UNDER_OBJECTION,
        Encumbrance.EXCLUSIVELY_LICENSED,
    ]
    assert (got.as_of_block, got.as_of_time) == (9, AT)
