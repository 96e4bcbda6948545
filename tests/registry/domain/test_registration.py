"""Caps on what a metadata document may carry: lists and fields with no natural bound are
bounded, so a request cannot store an unbounded document (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from registry.domain.registration import MAX_PARENTS, MAX_SCENARIOS, AssetMetadata
from tests.registry.registration.conftest import metadata

HOLDER = "0x" + "11" * 20


def document(**changes: Any) -> dict[str, Any]:
    base = metadata(HOLDER).model_dump(mode="json", by_alias=True)
    base.update(changes)
    return base


def test_scenarios_are_capped() -> None:
    AssetMetadata.model_validate(document(application_scenarios=["分析"] * MAX_SCENARIOS))
    with pytest.raises(ValidationError, match="application_scenarios"):
        AssetMetadata.model_validate(document(application_scenarios=["分析"] * (MAX_SCENARIOS + 1)))


def test_parents_are_capped() -> None:
    AssetMetadata.model_validate(
        document(asset_kind="product", parents=list(range(1, MAX_PARENTS + 1)))
    )
    with pytest.raises(ValidationError, match="parents"):
        AssetMetadata.model_validate(
            document(asset_kind="product", parents=list(range(1, MAX_PARENTS + 2)))
        )


def test_an_evidence_reference_is_capped() -> None:
    evidence = {
        "chain_id": 31337,
        "contract": "0x" + "22" * 20,
        "tx_hash": "0x" + "33" * 32,
        "block_number": 1,
        "anchored_at": "2026-01-01T00:00:00Z",
    }
    AssetMetadata.model_validate(document(evidence=evidence))
    for field, value in (("contract", "0x" + "22" * 100_000), ("tx_hash", "0x" + "33" * 50_000)):
        with pytest.raises(ValidationError, match=field):
            AssetMetadata.model_validate(document(evidence={**evidence, field: value}))
