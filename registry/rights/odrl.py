"""Machine-readable licence terms: ODRL 2.2 policies (W3C ODRL Information Model 2.2).

A licence's terms are an ODRL ``Agreement`` between the licensor (``assigner``) and the licensee
(``assignee``) about one certificate (``target``). The service builds the policy from
:class:`~registry.domain.rights.LicenceTerms`, or checks a policy the client wrote against them,
and records the SHA-256 of its RFC 8785 canonical JSON as the licence's ``termsHash``.

What a licence policy states, and how (docs/licences.md has an example):

* parties are ``did:pkh:eip155:<chain id>:<address>`` (CAIP-10 accounts), the target is
  ``urn:dareg:certificate:<certificate number>``; all three at policy level (ODRL's compact
  form: they apply to every rule) or on each rule;
* one permission per action: the right's actions (:data:`RIGHT_ACTIONS`), plus ``grantUse``
  (grant use to third parties) when the licence is sublicensable; each permission carries the
  same three constraints: ``purpose isAnyOf [codes]``, ``spatial isAnyOf [codes]`` and a term
  ``dateTime gteq start`` / ``dateTime lteq end`` (``xsd:dateTime``);
* a prohibition of ``grantUse`` when the licence is not sublicensable;
* an obligation of the licensor to ``ensureExclusivity`` when the licence is exclusive;
* optionally duties, e.g. ``compensate`` (the fee terms), which are not compared.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address

from registry.domain.registration import Right, canonical_json
from registry.domain.rights import LicenceTerms, Purpose, Territory
from registry.errors import InputError

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
MEDIA_TYPE = "application/ld+json"

#: ODRL actions that exercise each licensable right.
RIGHT_ACTIONS: dict[Right, tuple[str, ...]] = {
    Right.PROCESSING_USE: ("use", "derive"),
    Right.PRODUCT_OPERATION: ("use", "distribute"),
}
SUBLICENSING = "grantUse"
EXCLUSIVITY = "ensureExclusivity"
COMPENSATION = "compensate"

#: Policy classes of the ODRL 2.2 vocabulary.
POLICY_TYPES = frozenset(
    {"Policy", "Set", "Offer", "Agreement", "Assertion", "Privacy", "Request", "Ticket"}
)
#: Actions of the ODRL 2.2 core and common vocabularies.
ACTIONS = frozenset(
    {
        "use", "transfer", "acceptTracking", "aggregate", "annotate", "anonymize", "archive",
        "attribute", "compensate", "concurrentUse", "delete", "derive", "digitize", "display",
        "distribute", "ensureExclusivity", "execute", "extract", "give", "grantUse", "include",
        "index", "inform", "install", "modify", "move", "nextPolicy", "obtainConsent", "play",
        "present", "print", "read", "reproduce", "reviewPolicy", "sell", "stream",
        "synchronize", "textToSpeech", "transform", "translate", "uninstall", "watermark",
    }
)  # fmt: skip
#: Left operands of the ODRL 2.2 common vocabulary.
LEFT_OPERANDS = frozenset(
    {
        "absolutePosition", "absoluteSpatialPosition", "absoluteTemporalPosition",
        "absoluteSize", "count", "dateTime", "delayPeriod", "deliveryChannel", "elapsedTime",
        "event", "fileFormat", "industry", "language", "media", "meteredTime", "payAmount",
        "percentage", "product", "purpose", "recipient", "relativePosition",
        "relativeSpatialPosition", "relativeTemporalPosition", "relativeSize", "resolution",
        "spatial", "spatialCoordinates", "systemDevice", "timeInterval", "unitOfCount",
        "version", "virtualLocation",
    }
)  # fmt: skip
OPERATORS = frozenset(
    {"eq", "gt", "gteq", "lt", "lteq", "neq", "isA", "hasPart", "isPartOf", "isAllOf",
     "isAnyOf", "isNoneOf"}
)  # fmt: skip
_RULES = ("permission", "prohibition", "obligation")
_LOGICAL = ("and", "or", "xone", "andSequence")


def party_iri(chain_id: int, address: str) -> str:
    """A chain account as an ODRL party: ``did:pkh:eip155:<chain id>:<address>``."""
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def certificate_iri(certificate_number: str) -> str:
    """A certificate as an ODRL asset: ``urn:dareg:certificate:<number>``."""
    return f"urn:dareg:certificate:{certificate_number}"


def new_policy_uid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _xsd_datetime(moment: datetime) -> dict[str, str]:
    text = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"@value": text, "@type": "xsd:dateTime"}


@dataclass(frozen=True)
class PolicyStatement:
    """What a licence policy says, in the registry's terms (compared field by field)."""

    uid: str
    assigner: str
    assignee: str
    target: str
    right: Right
    purposes: frozenset[Purpose]
    territories: frozenset[Territory]
    start: datetime
    end: datetime
    exclusive: bool
    sublicensable: bool

    @classmethod
    def of_terms(
        cls, terms: LicenceTerms, *, uid: str, chain_id: int, licensor: str, target: str
    ) -> PolicyStatement:
        """The statement a policy for ``terms`` granted by ``licensor`` must make."""
        return cls(
            uid=uid,
            assigner=party_iri(chain_id, licensor),
            assignee=party_iri(chain_id, terms.licensee),
            target=target,
            right=terms.right,
            purposes=frozenset(terms.purposes),
            territories=frozenset(terms.territories),
            start=terms.start,
            end=terms.end,
            exclusive=terms.exclusive,
            sublicensable=terms.sublicensable,
        )


# --- building ---------------------------------------------------------------------------------


def build_policy(
    statement: PolicyStatement, *, fee_terms_hash: str | None = None
) -> dict[str, Any]:
    """The ODRL ``Agreement`` of ``statement`` (a JSON-LD document, plain dicts and lists).

    With ``fee_terms_hash`` every permission carries a ``compensate`` duty identified by
    ``urn:dareg:fee-terms:<hash>``.
    """
    constraints = [
        {
            "leftOperand": "purpose",
            "operator": "isAnyOf",
            "rightOperand": [p.value for p in Purpose if p in statement.purposes],
        },
        {
            "leftOperand": "spatial",
            "operator": "isAnyOf",
            "rightOperand": [t.value for t in Territory if t in statement.territories],
        },
        {
            "leftOperand": "dateTime",
            "operator": "gteq",
            "rightOperand": _xsd_datetime(statement.start),
        },
        {
            "leftOperand": "dateTime",
            "operator": "lteq",
            "rightOperand": _xsd_datetime(statement.end),
        },
    ]
    actions = list(RIGHT_ACTIONS[statement.right])
    if statement.sublicensable:
        actions.append(SUBLICENSING)
    permissions: list[dict[str, Any]] = []
    for action in actions:
        permission: dict[str, Any] = {"action": action, "constraint": constraints}
        if fee_terms_hash is not None:
            permission["duty"] = [
                {"uid": f"urn:dareg:fee-terms:{fee_terms_hash}", "action": COMPENSATION}
            ]
        permissions.append(permission)
    policy: dict[str, Any] = {
        "@context": ODRL_CONTEXT,
        "@type": "Agreement",
        "uid": statement.uid,
        "assigner": statement.assigner,
        "assignee": statement.assignee,
        "target": statement.target,
        "permission": permissions,
    }
    if not statement.sublicensable:
        policy["prohibition"] = [{"action": SUBLICENSING}]
    if statement.exclusive:
        # the licensor is the one bound to keep the licence exclusive
        policy["obligation"] = [
            {"action": EXCLUSIVITY, "assigner": statement.assignee, "assignee": statement.assigner}
        ]
    return policy


def canonical_policy(policy: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of ``policy``: the bytes stored and hashed."""
    return canonical_json(policy)


def policy_hash(policy: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical policy: the licence's ``termsHash``."""
    return hashlib.sha256(canonical_policy(policy)).digest()


# --- validating -------------------------------------------------------------------------------


def _action_name(value: Any) -> str | None:
    """An action given as ``"use"``, ``"odrl:use"``, a full IRI, or ``{"rdf:value": ...}``."""
    if isinstance(value, dict):
        inner = value.get("rdf:value", value.get("@id"))
        if isinstance(inner, dict):
            inner = inner.get("@id")
        value = inner
    if not isinstance(value, str) or not value:
        return None
    name: str = value
    for prefix in ("http://www.w3.org/ns/odrl/2/", "odrl:"):
        name = name.removeprefix(prefix)
    return name


def _party(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("uid", value.get("@id"))
    return value if isinstance(value, str) and value else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, dict):
        if value.get("@type") not in (
            None,
            "xsd:dateTime",
            "http://www.w3.org/2001/XMLSchema#dateTime",
        ):
            return None
        value = value.get("@value")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


class _Checker:
    """Collects every problem of a policy (not only the first), each naming where it is."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def policy(self, policy: Any) -> None:
        if not isinstance(policy, dict):
            self.add("policy", "must be a JSON object")
            return
        context = policy.get("@context")
        if ODRL_CONTEXT not in (_as_list(context) if context is not None else []):
            self.add("@context", f"must be (or include) {ODRL_CONTEXT!r}")
        kind = policy.get("@type")
        if kind not in POLICY_TYPES:
            self.add("@type", f"must be one of {', '.join(sorted(POLICY_TYPES))}, not {kind!r}")
        uid = policy.get("uid")
        if not isinstance(uid, str) or ":" not in uid:
            self.add("uid", "must be an IRI identifying the policy (e.g. urn:uuid:...)")
        if not any(policy.get(rule) for rule in _RULES):
            self.add("policy", "has no permission, prohibition or obligation")
        for field in ("assigner", "assignee"):
            if field in policy and _party(policy[field]) is None:
                self.add(field, "must be a party IRI or an object with a uid")
        if "target" in policy and not isinstance(policy["target"], str | dict):
            self.add("target", "must be an asset IRI")
        for rule in _RULES:
            if rule not in policy:
                continue
            if not isinstance(policy[rule], list):
                self.add(rule, "must be a list of rules")
                continue
            for index, item in enumerate(policy[rule]):
                self.rule(f"{rule}[{index}]", item, policy)
        if kind == "Agreement":
            self.parties_named(policy, ("assigner", "assignee"))
        elif kind == "Offer":
            self.parties_named(policy, ("assigner",))

    def parties_named(self, policy: dict[str, Any], parties: tuple[str, ...]) -> None:
        """Each rule of an Agreement (Offer) names its parties, itself or at policy level."""
        for rule in _RULES:
            for index, item in enumerate(policy.get(rule) or []):
                if not isinstance(item, dict):
                    continue
                for party in parties:
                    if _party(item.get(party, policy.get(party))) is None:
                        self.add(
                            f"{rule}[{index}]",
                            f"an {policy['@type']} names the {party} (at policy or rule level)",
                        )

    def rule(self, where: str, rule: Any, policy: dict[str, Any], *, duty: bool = False) -> None:
        if not isinstance(rule, dict):
            self.add(where, "must be a JSON object")
            return
        action = _action_name(rule.get("action"))
        if action is None:
            self.add(where, "has no action")
        elif action not in ACTIONS:
            self.add(where, f"action {action!r} is not in the ODRL 2.2 vocabulary")
        if not duty and not isinstance(rule.get("target", policy.get("target")), str | dict):
            self.add(where, "names no target (at policy or rule level)")
        if "constraint" in rule:
            if not isinstance(rule["constraint"], list):
                self.add(where, "constraint must be a list")
            else:
                for index, constraint in enumerate(rule["constraint"]):
                    self.constraint(f"{where}.constraint[{index}]", constraint)
        if "duty" in rule:
            if not isinstance(rule["duty"], list):
                self.add(where, "duty must be a list")
            else:
                for index, item in enumerate(rule["duty"]):
                    self.rule(f"{where}.duty[{index}]", item, policy, duty=True)

    def constraint(self, where: str, constraint: Any) -> None:
        if not isinstance(constraint, dict):
            self.add(where, "must be a JSON object")
            return
        logical = [k for k in _LOGICAL if k in constraint]
        if logical:
            operands = constraint[logical[0]]
            if not isinstance(operands, list) or not operands:
                self.add(where, f"{logical[0]} needs a list of constraints")
                return
            for index, item in enumerate(operands):
                self.constraint(f"{where}.{logical[0]}[{index}]", item)
            return
        left = constraint.get("leftOperand")
        if left not in LEFT_OPERANDS:
            self.add(where, f"leftOperand {left!r} is not in the ODRL 2.2 vocabulary")
        operator = constraint.get("operator")
        if operator not in OPERATORS:
            self.add(
                where,
                f"operator {operator!r} is not an ODRL operator ({', '.join(sorted(OPERATORS))})",
            )
        if "rightOperand" not in constraint and "rightOperandReference" not in constraint:
            self.add(where, "has no rightOperand")
            return
        right = constraint.get("rightOperand")
        if left == "dateTime" and right is not None and _datetime(right) is None:
            self.add(where, f"dateTime {right!r} is not an ISO 8601 time with a timezone")
        for codes, name in ((Purpose, "purpose"), (Territory, "spatial")):
            if left == name and right is not None:
                values = _as_list(right)
                known = {c.value for c in codes}
                unknown = [v for v in values if v not in known]
                if unknown or not values:
                    self.add(
                        where,
                        f"{name} codes {unknown!r} are unknown; use those of docs/licences.md "
                        f"({', '.join(sorted(known))})",
                    )


def policy_problems(policy: Any) -> list[str]:
    """Every structural problem of ``policy`` as an ODRL 2.2 policy (empty: none)."""
    checker = _Checker()
    checker.policy(policy)
    return checker.problems


def validate_policy(policy: Any) -> dict[str, Any]:
    """``policy`` if it is a well-formed ODRL 2.2 policy, else :class:`InputError` listing why."""
    problems = policy_problems(policy)
    if problems:
        raise InputError("the ODRL policy is not valid: " + "; ".join(problems), problems=problems)
    assert isinstance(policy, dict)
    return policy


# --- reading a licence policy -------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    purposes: frozenset[str]
    territories: frozenset[str]
    start: datetime | None
    end: datetime | None


def _scope(where: str, constraints: Iterable[Any], problems: list[str]) -> _Scope:
    purposes: frozenset[str] | None = None
    territories: frozenset[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    for constraint in constraints:
        if any(k in constraint for k in _LOGICAL):
            problems.append(f"{where}: a licence states its scope with plain constraints only")
            continue
        left, operator, right = (
            constraint.get("leftOperand"),
            constraint.get("operator"),
            constraint.get("rightOperand"),
        )
        if left in ("purpose", "spatial"):
            values = frozenset(_as_list(right))
            if operator not in ("isAnyOf", "eq") or (operator == "eq" and len(values) != 1):
                problems.append(f"{where}: {left} is stated with isAnyOf (or eq one code)")
            elif left == "purpose":
                purposes = values if purposes is None else purposes & values
            else:
                territories = values if territories is None else territories & values
        elif left == "dateTime":
            moment = _datetime(right)
            if operator == "gteq" and moment is not None:
                start = moment if start is None else max(start, moment)
            elif operator == "lteq" and moment is not None:
                end = moment if end is None else min(end, moment)
            else:
                problems.append(f"{where}: the term is stated as dateTime gteq start, lteq end")
        else:
            problems.append(f"{where}: constraint on {left!r} is not part of a licence's scope")
    if purposes is None:
        problems.append(f"{where}: no purpose constraint")
    if territories is None:
        problems.append(f"{where}: no spatial (territory) constraint")
    if start is None or end is None:
        problems.append(f"{where}: no term (dateTime gteq start and lteq end)")
    return _Scope(purposes or frozenset(), territories or frozenset(), start, end)


def read_policy(policy: Any) -> PolicyStatement:
    """What a licence policy states; :class:`InputError` naming every problem if it is not a
    well-formed ODRL ``Agreement`` that states one licence as docs/licences.md describes."""
    policy = validate_policy(policy)
    problems: list[str] = []
    if policy.get("@type") != "Agreement":
        problems.append(f"@type: a licence is an Agreement, not {policy.get('@type')!r}")

    def one(rule: dict[str, Any], field: str, where: str) -> str:
        return _party(rule.get(field, policy.get(field))) or f"<{where} names no {field}>"

    def same(values: list[str], field: str) -> str:
        distinct = sorted(set(values))
        if len(distinct) > 1:
            problems.append(f"{field}: the rules name different {field}s {distinct}")
        return distinct[0] if distinct else ""

    permissions: list[dict[str, Any]] = policy.get("permission") or []
    if not permissions:
        problems.append("permission: a licence permits at least one action")
    assigners, assignees, targets, actions = [], [], [], []
    scopes: list[_Scope] = []
    exclusive = False
    for index, rule in enumerate(permissions):
        where = f"permission[{index}]"
        assigners.append(one(rule, "assigner", where))
        assignees.append(one(rule, "assignee", where))
        targets.append(one(rule, "target", where))
        actions.append(_action_name(rule.get("action")) or "")
        scopes.append(_scope(where, rule.get("constraint") or [], problems))
    assigner = same(assigners, "assigner")
    assignee = same(assignees, "assignee")
    target = same(targets, "target")
    if permissions and assigner == assignee:
        problems.append("assignee: a licence is granted to a party other than its assigner")
    for index, rule in enumerate(policy.get("obligation") or []):
        if _action_name(rule.get("action")) == EXCLUSIVITY:
            exclusive = True
            if _party(rule.get("assignee", policy.get("assignee"))) != assigner:
                problems.append(
                    f"obligation[{index}]: {EXCLUSIVITY} binds the licensor (the policy's "
                    "assigner): name it as the obligation's assignee"
                )
    prohibited = {_action_name(rule.get("action")) for rule in policy.get("prohibition") or []}
    for scope in scopes[1:]:
        if scope != scopes[0]:
            problems.append("permission: every permission of a licence has the same scope")
            break
    permitted = set(actions)
    if len(permitted) != len(actions):
        problems.append("permission: an action is permitted twice")
    sublicensable = SUBLICENSING in permitted
    if sublicensable and SUBLICENSING in prohibited:
        problems.append(f"prohibition: {SUBLICENSING} is both permitted and prohibited")
    if not sublicensable and SUBLICENSING not in prohibited:
        problems.append(
            f"prohibition: a licence that may not be sublicensed prohibits {SUBLICENSING}"
        )
    core = permitted - {SUBLICENSING}
    rights = [r for r, acts in RIGHT_ACTIONS.items() if set(acts) == core]
    if not rights:
        expected = "; ".join(f"{r.value}: {', '.join(a)}" for r, a in RIGHT_ACTIONS.items())
        problems.append(
            f"permission: the actions {sorted(core)} exercise no licensable right ({expected})"
        )
    scope = scopes[0] if scopes else _Scope(frozenset(), frozenset(), None, None)
    if scope.start is not None and scope.end is not None and scope.end <= scope.start:
        problems.append("permission: the term ends before it starts")
    if problems:
        raise InputError(
            "the ODRL policy does not state a licence: " + "; ".join(problems), problems=problems
        )
    assert scope.start is not None
    assert scope.end is not None
    return PolicyStatement(
        uid=str(policy["uid"]),
        assigner=assigner,
        assignee=assignee,
        target=target,
        right=rights[0],
        purposes=frozenset(Purpose(p) for p in scope.purposes),
        territories=frozenset(Territory(t) for t in scope.territories),
        start=scope.start,
        end=scope.end,
        exclusive=exclusive,
        sublicensable=sublicensable,
    )


def check_policy(policy: Any, expected: PolicyStatement) -> PolicyStatement:
    """Read ``policy`` and require it to state ``expected`` (its own ``uid`` is kept).

    :class:`InputError` names every field in which the policy differs from the licence terms.
    """
    stated = read_policy(policy)
    differences = []
    for field in (
        "assigner",
        "assignee",
        "target",
        "right",
        "purposes",
        "territories",
        "start",
        "end",
        "exclusive",
        "sublicensable",
    ):
        have, want = getattr(stated, field), getattr(expected, field)
        if have != want:
            differences.append(f"{field}: the policy states {_show(have)}, the terms {_show(want)}")
    if differences:
        raise InputError(
            "the ODRL policy does not match the licence terms: " + "; ".join(differences),
            differences=differences,
        )
    return stated


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value.value if isinstance(value, Right) else value)
