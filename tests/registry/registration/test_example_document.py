"""The documented example application stays valid and canonical."""

from __future__ import annotations

import json
from pathlib import Path

from registry.domain.registration import AssetMetadata

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "application.json"


def test_documented_example_is_a_valid_application() -> None:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    metadata = AssetMetadata.model_validate(raw)
    assert metadata.document() == raw  # every field documented, nothing dropped
    assert len(metadata.digest()) == 32
