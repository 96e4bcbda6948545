"""ODRL 2.2 licence policies: building, reading back, validating, checking against terms."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from registry.domain.registration import Right
from registry.domain.rights import LicenceTerms, Purpose, Territory, voucher_number
from registry.errors import InputError
from registry.rights.odrl import (
    ODRL_CONTEXT,
    PolicyStatement,
    build_policy,
    canonical_policy,
    certificate_iri,
    check_policy,
    new_policy_uid,
    party_iri,
    policy_hash,
    policy_problems,
    read_policy,
    validate_policy,
)

LICENSOR = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
LICENSEE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def statement(**changes: Any) -> PolicyStatement:
    base = PolicyStatement(
        uid="urn:uuid:7f1c4c40-0b7e-4b8e-9d7e-6a0f0e6b2d11",
        assigner=party_iri(31337, LICENSOR),
        assignee=party_iri(31337, LICENSEE),
        target=certificate_iri("20260110100000429"),
        right=Right.PROCESSING_USE,
        purposes=frozenset({Purpose.RESEARCH, Purpose.MODEL_TRAINING}),
        territories=frozenset({Territory.MAINLAND_CHINA}),
        start=START,
        end=END,
        exclusive=False,
        sublicensable=False,
    )
    return replace(base, **changes)


def problems_of(policy: Any) -> str:
    with pytest.raises(InputError) as info:
        read_policy(policy)
    return str(info.value)


@pytest.mark.parametrize("right", [Right.PROCESSING_USE, Right.PRODUCT_OPERATION])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("sublicensable", [False, True])
def test_a_built_policy_reads_back_as_its_statement(
    right: Right, exclusive: bool, sublicensable: bool
) -> None:
    made = statement(right=right, exclusive=exclusive, sublicensable=sublicensable)
    policy = build_policy(made, fee_terms_hash="0x" + "ab" * 32)
    assert validate_policy(policy) is policy
    assert read_policy(policy) == made
    # what a JSON round trip (storage) gives back reads the same
    assert read_policy(json.loads(canonical_policy(policy))) == made


def test_the_built_policy_is_an_odrl_agreement() -> None:
    policy = build_policy(statement())
    assert policy["@context"] == ODRL_CONTEXT
    assert policy["@type"] == "Agreement"
    assert policy["uid"].startswith("urn:uuid:")
    # CAIP-10 accounts, checksummed
    assert policy["assigner"] == "did:pkh:eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert policy["assignee"] == f"did:pkh:eip155:31337:{LICENSEE}"
    assert policy["target"] == "urn:dareg:certificate:20260110100000429"
    assert [p["action"] for p in policy["permission"]] == ["use", "derive"]
    constraints = policy["permission"][0]["constraint"]
    assert constraints == [
        {
            "leftOperand": "purpose",
            "operator": "isAnyOf",
            "rightOperand": ["model_training", "research"],
        },
        {"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": ["mainland_china"]},
        {
            "leftOperand": "dateTime",
            "operator": "gteq",
            "rightOperand": {"@value": "2026-01-01T00:00:00Z", "@type": "xsd:dateTime"},
        },
        {
            "leftOperand": "dateTime",
            "operator": "lteq",
            "rightOperand": {"@value": "2027-01-01T00:00:00Z", "@type": "xsd:dateTime"},
        },
    ]
    assert policy["prohibition"] == [{"action": "grantUse"}]
    assert "obligation" not in policy
    assert "duty" not in policy["permission"][0]


def test_sublicensing_exclusivity_and_fees_appear_as_rules() -> None:
    policy = build_policy(
        statement(right=Right.PRODUCT_OPERATION, sublicensable=True, exclusive=True),
        fee_terms_hash="0x" + "cd" * 32,
    )
    assert [p["action"] for p in policy["permission"]] == ["use", "distribute", "grantUse"]
    assert "prohibition" not in policy
    assert policy["obligation"] == [
        {
            "action": "ensureExclusivity",
            "assigner": policy["assignee"],
            "assignee": policy["assigner"],  # the licensor keeps the licence exclusive
        }
    ]
    assert all(
        p["duty"] == [{"uid": "urn:dareg:fee-terms:0x" + "cd" * 32, "action": "compensate"}]
        for p in policy["permission"]
    )


def test_the_terms_hash_is_sha256_of_rfc8785_json() -> None:
    policy = build_policy(statement())
    body = canonical_policy(policy)
    assert policy_hash(policy) == hashlib.sha256(body).digest()
    assert body.startswith(b'{"@context":"http://www.w3.org/ns/odrl.jsonld","@type":"Agreement"')
    assert b" " not in body
    shuffled = json.loads(json.dumps(policy, sort_keys=True))
    shuffled = dict(reversed(list(shuffled.items())))
    assert policy_hash(shuffled) == policy_hash(policy)
    assert policy_hash(build_policy(statement(end=datetime(2027, 1, 2, tzinfo=UTC)))) != (
        policy_hash(policy)
    )
    assert new_policy_uid() != new_policy_uid()


def test_parties_and_target_may_sit_on_each_rule_and_actions_may_be_iris() -> None:
    policy = build_policy(statement())
    expanded = copy.deepcopy(policy)
    parties = {k: expanded.pop(k) for k in ("assigner", "assignee", "target")}
    for rule in expanded["permission"] + expanded["prohibition"]:
        rule.update(parties)
    expanded["permission"][0]["action"] = "odrl:use"
    expanded["permission"][1]["action"] = {"rdf:value": {"@id": "odrl:derive"}}
    expanded["prohibition"][0]["action"] = "http://www.w3.org/ns/odrl/2/grantUse"
    expanded["@context"] = [ODRL_CONTEXT, {"dareg": "urn:dareg:"}]
    assert read_policy(expanded) == statement()


def test_structural_problems_are_all_named() -> None:
    broken: dict[str, Any] = {
        "@context": "http://schema.org/",
        "@type": "Contract",
        "uid": "agreement-7",
        "permission": [
            {
                "action": "teleport",
                "constraint": [
                    {"leftOperand": "colour", "operator": "eq", "rightOperand": "red"},
                    {"leftOperand": "purpose", "operator": "around", "rightOperand": ["mining"]},
                    {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "tomorrow"},
                    {"leftOperand": "spatial", "operator": "isAnyOf"},
                ],
                "duty": [{"action": 7}],
            },
            "use",
        ],
    }
    problems = policy_problems(broken)
    text = "\n".join(problems)
    for fragment in (
        "@context: must be (or include) 'http://www.w3.org/ns/odrl.jsonld'",
        "@type: must be one of",
        "uid: must be an IRI",
        "permission[0]: action 'teleport' is not in the ODRL 2.2 vocabulary",
        "permission[0]: names no target",
        "permission[0].constraint[0]: leftOperand 'colour' is not in the ODRL 2.2 vocabulary",
        "permission[0].constraint[1]: operator 'around' is not an ODRL operator",
        "permission[0].constraint[1]: purpose codes ['mining'] are unknown",
        "permission[0].constraint[2]: dateTime 'tomorrow' is not an ISO 8601 time",
        "permission[0].constraint[3]: has no rightOperand",
        "permission[0].duty[0]: has no action",
        "permission[1]: must be a JSON object",
    ):
        assert fragment in text, fragment
    with pytest.raises(InputError, match="the ODRL policy is not valid") as info:
        validate_policy(broken)
    assert info.value.details["problems"] == problems
    assert policy_problems([]) == ["policy: must be a JSON object"]
    assert "policy: has no permission, prohibition or obligation" in policy_problems(
        {"@context": ODRL_CONTEXT, "@type": "Set", "uid": "urn:x:1"}
    )
    # an Agreement names both parties
    agreement = build_policy(statement())
    del agreement["assignee"]
    assert any("names the assignee" in p for p in policy_problems(agreement))


def test_a_valid_policy_that_does_not_state_a_licence_is_refused() -> None:
    good = build_policy(statement())

    def changed(edit: Any) -> dict[str, Any]:
        policy = copy.deepcopy(good)
        edit(policy)
        return policy

    def as_set(p: dict[str, Any]) -> None:
        p["@type"] = "Set"

    def no_prohibition(p: dict[str, Any]) -> None:
        del p["prohibition"]

    def sells(p: dict[str, Any]) -> None:
        p["permission"][1]["action"] = "sell"

    def twice(p: dict[str, Any]) -> None:
        p["permission"][1]["action"] = "use"

    def narrower_second(p: dict[str, Any]) -> None:
        p["permission"][1]["constraint"] = p["permission"][1]["constraint"][1:]

    def logical(p: dict[str, Any]) -> None:
        p["permission"][0]["constraint"] = [{"or": p["permission"][0]["constraint"][:2]}]

    def both(p: dict[str, Any]) -> None:
        p["permission"].append(
            {"action": "grantUse", "constraint": p["permission"][0]["constraint"]}
        )

    def backwards(p: dict[str, Any]) -> None:
        for rule in p["permission"]:
            rule["constraint"] = [
                *rule["constraint"][:2],
                {
                    "leftOperand": "dateTime",
                    "operator": "gteq",
                    "rightOperand": "2027-06-01T00:00:00Z",
                },
                rule["constraint"][3],
            ]

    def other_assignees(p: dict[str, Any]) -> None:
        p["permission"][1]["assignee"] = party_iri(31337, LICENSOR)

    for edit, fragment in (
        (as_set, "a licence is an Agreement"),
        (no_prohibition, "prohibits grantUse"),
        (sells, "exercise no licensable right"),
        (twice, "permitted twice"),
        (narrower_second, "no purpose constraint"),
        (logical, "plain constraints only"),
        (both, "both permitted and prohibited"),
        (backwards, "ends before it starts"),
        (other_assignees, "the rules name different assignees"),
    ):
        assert fragment in problems_of(changed(edit)), edit.__name__


def test_checking_against_terms_names_each_difference() -> None:
    policy = build_policy(statement())
    assert check_policy(policy, statement(uid="urn:other")) == statement()  # its own uid is kept
    expected = statement(
        assignee=party_iri(31337, LICENSOR),
        end=datetime(2026, 6, 1, tzinfo=UTC),
        territories=frozenset(Territory),
    )
    with pytest.raises(InputError) as info:
        check_policy(policy, expected)
    message = str(info.value)
    assert message.startswith("the ODRL policy does not match the licence terms: ")
    assert "assignee: the policy states 'did:pkh:eip155:31337:0x90F7" in message
    assert (
        "end: the policy states 2027-01-01T00:00:00+00:00, the terms 2026-06-01T00:00:00+00:00"
        in (message)
    )
    assert "territories: the policy states [mainland_china], the terms [asean, eu," in message
    assert len(info.value.details["differences"]) == 3


def test_statement_of_terms_uses_chain_accounts_and_whole_seconds() -> None:
    terms = LicenceTerms(
        licensee=LICENSEE.lower(),
        right=Right.PRODUCT_OPERATION,
        purposes=[Purpose.RESALE],
        territories=[Territory.WORLDWIDE_OTHER, Territory.EU],
        start=datetime(2026, 1, 1, 8, 0, 0, 123_456, tzinfo=UTC),
        end=END,
        exclusive=True,
    )
    made = PolicyStatement.of_terms(
        terms, uid="urn:x:1", chain_id=1, licensor=LICENSOR, target=certificate_iri("1")
    )
    assert made.assignee == f"did:pkh:eip155:1:{LICENSEE}"
    assert made.start == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert made.territories == {Territory.EU, Territory.WORLDWIDE_OTHER}
    assert read_policy(build_policy(made)) == made


def test_the_example_in_docs_states_its_licence() -> None:
    text = (Path(__file__).parents[3] / "docs" / "licences.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert block is not None
    policy = json.loads(block.group(1))
    stated = read_policy(policy)
    assert stated == statement(
        uid="urn:uuid:0f8e3c1a-5b7d-4c2e-9a61-3d2f7b8e4c10",
        target=certificate_iri("20260144000000012"),
        territories=frozenset({Territory.MAINLAND_CHINA, Territory.HONG_KONG}),
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime(2027, 2, 28, 15, 59, 59, tzinfo=UTC),
    )
    assert policy == build_policy(stated, fee_terms_hash="0x" + "5e" * 32)
    assert Purpose.mask(stated.purposes) == 260
    assert Territory.mask(stated.territories) == 3
    assert "2026200000000427" in text
    granted = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    assert voucher_number(granted, Right.PROCESSING_USE, False, 42) == "2026200000000427"
