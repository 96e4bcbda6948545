"""What a credential's status entries point at, and each list's value of a standing."""

from __future__ import annotations

from datetime import UTC, datetime

from registry.certificates.standing import Encumbrance, Lifecycle, Standing
from registry.certificates.status_list import (
    STATUS_LIST_ENTRIES,
    STATUS_LISTS,
    entry_value,
    status_entries,
)


def _standing(lifecycle: Lifecycle, *encumbrances: Encumbrance) -> Standing:
    return Standing(
        lifecycle=lifecycle,
        encumbrances=list(encumbrances),
        as_of_block=1,
        as_of_time=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_entries_have_the_same_keys_and_point_at_the_registrars_lists() -> None:
    token_id = STATUS_LIST_ENTRIES + 19
    entries = status_entries("https://registry.example/", 440, token_id)
    assert [e["statusListCredential"] for e in entries] == [
        f"https://registry.example/api/v1/status-lists/440/{name}/1" for name in STATUS_LISTS
    ]
    assert {frozenset(e) for e in entries} == {frozenset(entries[0])}
    for entry, status_list in zip(entries, STATUS_LISTS.values(), strict=True):
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == "19"
        assert entry["id"] == entry["statusListCredential"] + "#19"
        assert entry["statusPurpose"] == status_list.purpose
        assert len(entry["statusMessage"]) == 2 ** entry["statusSize"]
        assert [m["status"] for m in entry["statusMessage"]] == [
            hex(v) for v in range(2 ** entry["statusSize"])
        ]


def test_values_of_each_standing() -> None:
    clear = _standing(Lifecycle.IN_FORCE)
    assert [entry_value(clear, name) for name in STATUS_LISTS] == [0, 0, 0, 0]
    frozen_pledged = _standing(Lifecycle.IN_FORCE, Encumbrance.FROZEN, Encumbrance.PLEDGED)
    assert [entry_value(frozen_pledged, name) for name in STATUS_LISTS] == [0, 1, 0, 3]
    assert entry_value(_standing(Lifecycle.EXPIRED), "revocation") == 0
    assert entry_value(_standing(Lifecycle.EXPIRED), "lifecycle") == 1
    assert entry_value(_standing(Lifecycle.CANCELLED), "revocation") == 1
    assert entry_value(_standing(Lifecycle.REVOKED), "lifecycle") == 3
    every = _standing(Lifecycle.IN_FORCE, *Encumbrance)
    assert entry_value(every, "encumbrances") == 15
    messages = STATUS_LISTS["encumbrances"].messages
    assert messages[15] == (
        "已冻结、已质押、有异议、已独占许可 frozen, pledged, under objection, exclusively licensed"
    )
