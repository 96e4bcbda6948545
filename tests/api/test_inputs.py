"""What the API makes of bad input: numbers out of range, mistyped addresses, unknown things;
each a 4xx with a stable code that the OpenAPI document declares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.context import RegistryContext
from tests.api.actors import V1, refused, sign_in
from tests.conftest import admin
from tests.registry.registration.conftest import metadata

#: EIP-55's example, and the same account with the case of one letter swapped.
CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
MISTYPED = "0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


def test_a_mistyped_checksum_is_refused_in_paths_queries_and_bodies(client: TestClient) -> None:
    headers = sign_in(client, admin())
    refused(
        client.get(f"{V1}/parties/{MISTYPED}/country", headers=headers),
        422,
        "address_checksum_mismatch",
    )
    refused(
        client.get(f"{V1}/applications", params={"holder": MISTYPED}, headers=headers),
        422,
        "address_checksum_mismatch",
    )
    refused(
        client.post(f"{V1}/auth/challenge", json={"address": MISTYPED}),
        422,
        "address_checksum_mismatch",
    )
    # inside the application document (the holder's address): refused by validation
    document = metadata(CHECKSUMMED).model_dump(mode="json", by_alias=True)
    document["holder"]["address"] = MISTYPED
    application = {
        "registrar_code": 440,
        "applicant": CHECKSUMMED,
        "metadata": document,
        "deadline": 1,
        "signature": "0x" + "00" * 65,
    }
    refused(
        client.post(f"{V1}/applications", json=application, headers=headers),
        422,
        "address_checksum_mismatch",
    )
    # one case carries no checksum: taken as it is
    for written in (CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()):
        answer = client.get(f"{V1}/parties/{written}/country", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["party"] == CHECKSUMMED


def test_ids_offsets_and_blocks_out_of_range_are_refused_before_any_read(
    client: TestClient,
) -> None:
    headers = sign_in(client, admin())
    for value in (-1, 2**256):
        for path in ("applications", "objections", "pledges", "valuations", "licences"):
            refused(client.get(f"{V1}/{path}/{value}", headers=headers), 422, "invalid_request")
    for value in (-1, 2**63, 2**70):
        refused(client.get(f"{V1}/evidence", params={"offset": value}), 422, "invalid_request")
    # within range but unknown: not found, from the chain
    refused(
        client.get(f"{V1}/applications/{2**70}", headers=headers), 404, "registration_not_found"
    )
    refused(client.get(f"{V1}/licences/{2**255}"), 404, "licence_not_found")


def test_unknown_things_answer_404_not_200_with_nulls(client: TestClient) -> None:
    headers = sign_in(client, admin())
    refused(client.get(f"{V1}/registrars/999"), 404, "registrar_not_found")
    refused(client.get(f"{V1}/objections/999", headers=headers), 404, "objection_not_found")
    refused(
        client.get(f"{V1}/appraisers/0x{'12' * 20}", headers=headers), 404, "appraiser_not_found"
    )


def test_every_422_is_declared_with_the_error_body_the_api_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    declared = [
        op["responses"]["422"]
        for path, ops in spec["paths"].items()
        for op in ops.values()
        if "422" in op["responses"] and path.startswith("/api/")  # not the HTML pages
    ]
    assert len(declared) > 60
    for response in declared:
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorPublic"}
    # an operation with an integer parameter declares its range
    reg_id = next(
        p
        for p in spec["paths"]["/api/v1/applications/{reg_id}"]["get"]["parameters"]
        if p["name"] == "reg_id"
    )
    assert reg_id["schema"]["minimum"] == 0
    assert reg_id["schema"]["maximum"] == 2**256 - 1
