"""The registration's list entry is its public shape, cut down, in the list's field order."""

from __future__ import annotations

from api.schemas.registration import RegistrationPublic, RegistrationSummary


def test_a_summary_keeps_the_lists_field_order() -> None:
    assert list(RegistrationSummary.model_fields) == [
        "id",
        "registration_number",
        "certificate_number",
        "status",
        "holder",
        "registrar_code",
        "asset_kind",
        "rights",
        "classification",
        "submitted_at",
        "valid_until",
        "version",
        "open_objections",
        "fingerprint",
    ]
    for name, field in RegistrationSummary.model_fields.items():
        assert field.annotation == RegistrationPublic.model_fields[name].annotation
