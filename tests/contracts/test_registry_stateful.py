"""Random lifecycle sequences against DataAssetRegistry and a pure-Python model of its rules.

Every action runs in a block whose timestamp the test fixes (one second after the previous
block), so the model knows the exact ``block.timestamp`` the contract sees, boundaries included.
Before sending, the action is simulated on the pending block: when the model predicts a refusal
the contract must refuse with that custom error and those arguments; when the model predicts
success the contract must not refuse, and the transaction is mined. After every step every
registration's ``statusOf`` and stored fields must equal the model's, and no fingerprint may
back two live registrations (contracts v2, defect 5).
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from registry.chain.client import ChainClient, dev_account
from registry.domain.chain import ChainEvent
from registry.domain.deployment import DeploymentManifest
from registry.domain.numbers import certificate_number, registration_number
from registry.errors import ContractRevertError
from tests.conftest import admin as governor
from tests.contracts.registry_helpers import (
    DAY,
    NOTICE_PERIOD,
    RENEWAL_WINDOW,
    VALIDITY_PERIOD,
    Application,
    Kind,
    Level,
    ObjectionStatus,
    Registry,
    Status,
    digest,
)

pytestmark = pytest.mark.slow

CODE_A, CODE_B = 101, 202
NOTICE = {CODE_A: NOTICE_PERIOD, CODE_B: 10 * DAY}
OPEN_TO_ALL = {CODE_A: True, CODE_B: False}
REGISTRARS = {CODE_A: dev_account(1), CODE_B: dev_account(2)}
REGISTRANTS = [dev_account(3), dev_account(4), dev_account(5)]
OUTSIDER, RELAYER = dev_account(6), dev_account(7)
CODE_OF: dict[str, int] = {account.address: code for code, account in REGISTRARS.items()}
UNKNOWN_ID = 9_999_999  # never reached by a test
UNKNOWN_PICK = 100
BATCH_GAS = 3_000_000

Refusal = tuple[str, dict[str, Any]]

#: The operator: deploys, pays gas and relays; it holds no role on any contract.
OPERATOR = dev_account(0)
ADMIN_ROLE, PAUSER_ROLE, REGULATOR_ROLE = (
    b"\x00" * 32,
    keccak(text="PAUSER_ROLE"),
    keccak(text="REGULATOR_ROLE"),
)
#: What the operator could do on main with DEFAULT_ADMIN_ROLE; each is refused now.
OPERATOR_GRABS: list[tuple[str, list[Any]]] = [
    ("grantRole", [REGULATOR_ROLE, OPERATOR.address]),
    ("grantRole", [PAUSER_ROLE, OPERATOR.address]),
    ("grantRole", [ADMIN_ROLE, OPERATOR.address]),
    ("beginDefaultAdminTransfer", [OPERATOR.address]),
    ("acceptDefaultAdminTransfer", []),
    ("setRegistrarAccount", [CODE_A, OPERATOR.address, True]),
    ("configureRegistrar", [CODE_B, (True, True, False, NOTICE_PERIOD)]),
]

#: (function, "ok" or the predicted error) -> count, over the whole run: shows the run explored.
OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()


@dataclass
class Reg:
    """The model of one registration (stored fields; ``Expired`` is derived until closed)."""

    holder: str
    code: int
    kind: int
    parents: tuple[int, ...]
    source_agreement_end: int
    status: Status = Status.SUBMITTED
    notice_start: int = 0
    notice_end: int = 0
    issued_at: int = 0
    valid_until: int = 0
    open_objections: int = 0
    version: int = 0
    fingerprint: bytes = b""
    metadata_hash: bytes = b""
    standing: set[str] = field(default_factory=set)


@dataclass
class Model:
    now: int
    regs: dict[int, Reg] = field(default_factory=dict)
    objections: dict[int, tuple[int, ObjectionStatus]] = field(default_factory=dict)
    last_id: int | None = None
    last_objection_id: int | None = None
    nonces: dict[str, int] = field(default_factory=dict)
    #: fingerprint -> the registration it was last claimed by (cleared when that one ends)
    live_by_fingerprint: dict[bytes, int] = field(default_factory=dict)

    # --- derived state ------------------------------------------------------------------

    def status_of(self, reg_id: int, at: int) -> Status:
        r = self.regs.get(reg_id)
        if r is None:
            return Status.NONE
        if r.status == Status.ISSUED and at > r.valid_until:
            return Status.EXPIRED
        return r.status

    # --- the contract's checks, in the contract's order ---------------------------------

    def existing(self, reg_id: int) -> Refusal | None:
        if reg_id not in self.regs:
            return ("RegistryUnknownRegistration", {"id": reg_id})
        return None

    def as_registrar(self, reg_id: int, caller: str) -> Refusal | None:
        refusal = self.existing(reg_id)
        if refusal is None and CODE_OF.get(caller, 0) == 0:  # staff of none: the authority refuses
            refusal = ("AuthorityNotRegistrarOf", {"account": caller, "code": 0})
        if refusal is None and CODE_OF.get(caller, 0) != self.regs[reg_id].code:
            code = self.regs[reg_id].code
            refusal = ("RegistryNotRegistrarOf", {"account": caller, "registrarCode": code})
        return refusal

    def wrong_status(self, reg_id: int, *allowed: Status) -> Refusal | None:
        status = self.regs[reg_id].status
        if status not in allowed:
            return ("RegistryWrongStatus", {"id": reg_id, "actual": status})
        return None

    def unexpired(self, reg_id: int, at: int) -> Refusal | None:
        r = self.regs[reg_id]
        if at > r.valid_until:
            return ("RegistryExpired", {"id": reg_id, "validUntil": r.valid_until})
        return None

    def holder_check(self, reg_id: int, caller: str) -> Refusal | None:
        if self.regs[reg_id].holder != caller:
            return ("RegistryNotHolder", {"id": reg_id, "account": caller})
        return None

    def lineage(self, parents: tuple[int, ...], applicant: str, at: int) -> Refusal | None:
        """Each parent in force and held by the applicant (no licences in this machine)."""
        for parent in parents:
            status = self.status_of(parent, at)
            if status != Status.ISSUED:
                return ("RegistryParentNotIssued", {"parentId": parent, "status": status})
            if self.regs[parent].holder != applicant:
                return ("RegistryParentNotLicensed", {"parentId": parent, "applicant": applicant})
        return None

    def is_live(self, reg_id: int, at: int) -> bool:
        return self.status_of(reg_id, at) == Status.ISSUED

    def fingerprint_refusal(self, fingerprint: bytes, reg_id: int, at: int) -> Refusal | None:
        other = self.live_by_fingerprint.get(fingerprint, 0)
        if other and other != reg_id and self.is_live(other, at):
            fp = "0x" + fingerprint.hex()
            return ("RegistryFingerprintInUse", {"fingerprint": fp, "otherId": other})
        return None

    def end(self, reg_id: int, status: Status) -> None:
        r = self.regs[reg_id]
        r.status = status
        if self.live_by_fingerprint.get(r.fingerprint) == reg_id:
            del self.live_by_fingerprint[r.fingerprint]

    def submit_refusal(self, application: Application, applicant: str, at: int) -> Refusal | None:
        if application.level == Level.CORE:
            return ("RegistryCoreDataNotRegistrable", {})
        if application.kind == Kind.PRODUCT:
            if not application.parents:
                return ("RegistryProductWithoutParent", {})
            return self.lineage(application.parents, applicant, at)
        if application.parents:
            return ("RegistryResourceWithParents", {"count": len(application.parents)})
        return None

    def issue_refusal(self, reg_id: int, caller: str, at: int) -> Refusal | None:
        caller_code = CODE_OF.get(caller, 0)
        if caller_code == 0:
            return ("AuthorityNotRegistrarOf", {"account": caller, "code": 0})
        refusal = self.existing(reg_id)
        if refusal:
            return refusal
        r = self.regs[reg_id]
        if r.code != caller_code:
            return ("RegistryNotRegistrarOf", {"account": caller, "registrarCode": r.code})
        refusal = self.wrong_status(reg_id, Status.IN_NOTICE)
        if refusal:
            return refusal
        if at < r.notice_end:
            return ("RegistryNoticeWindowOpen", {"id": reg_id, "noticeEnd": r.notice_end})
        if r.open_objections:
            return ("RegistryObjectionsOpen", {"id": reg_id, "openObjections": r.open_objections})
        refusal = self.lineage(r.parents, r.holder, at)
        if refusal:
            return refusal
        by_period = r.notice_start + VALIDITY_PERIOD
        if by_period <= at:
            return ("RegistryValidityElapsed", {"id": reg_id, "validUntil": by_period})
        sae = r.source_agreement_end
        if sae and sae <= at:
            return ("RegistrySourceAgreementEnded", {"id": reg_id, "sourceAgreementEnd": sae})
        return self.fingerprint_refusal(r.fingerprint, reg_id, at)

    @staticmethod
    def capped(valid_until: int, source_agreement_end: int) -> int:
        if source_agreement_end and source_agreement_end < valid_until:
            return source_agreement_end
        return valid_until

    def validity_at_issue(self, r: Reg) -> int:
        return self.capped(r.notice_start + VALIDITY_PERIOD, r.source_agreement_end)

    def apply_issue(self, reg_id: int, at: int) -> None:
        r = self.regs[reg_id]
        r.status, r.issued_at, r.version = Status.ISSUED, at, 1
        r.valid_until = self.validity_at_issue(r)
        self.live_by_fingerprint[r.fingerprint] = reg_id

    def has_standing(self, reg_id: int, party: str) -> bool:
        r = self.regs[reg_id]
        if party in r.standing:
            return True
        return any(p in self.regs and self.regs[p].holder == party for p in r.parents)


FINAL = {Status.REJECTED, Status.CANCELLED, Status.REVOKED}
#: a fingerprint an application or a new version takes: a fresh one, or (sometimes) the
#: fingerprint of an existing registration, so the one-live-registration rule is exercised
REUSE = st.sampled_from([None, None, None, 0, 1, 2])
IDS = st.integers(0, UNKNOWN_PICK)
PREFER = st.sampled_from([True, True, True, True, False])
REGISTRAR_WHO = st.sampled_from(["right", "right", "right", "right", "other", "holder"])
HOLDER_WHO = st.sampled_from(["holder", "holder", "holder", "holder", "stranger", "registrar"])
TIME_STEPS = st.one_of(
    st.integers(1, 2 * DAY),
    st.integers(1, 2 * DAY),
    st.sampled_from([10 * DAY - 1, 10 * DAY, NOTICE_PERIOD - 2, NOTICE_PERIOD - 1, NOTICE_PERIOD]),
    st.sampled_from([10 * DAY - 1, 10 * DAY, NOTICE_PERIOD - 2, NOTICE_PERIOD - 1, NOTICE_PERIOD]),
    st.integers(VALIDITY_PERIOD - DAY, VALIDITY_PERIOD + DAY),
    st.integers(DAY, 4 * 365 * DAY),
)
LEVELS = st.sampled_from([Level.GENERAL] * 3 + [Level.IMPORTANT] * 2 + [Level.CORE])


def has_objections(machine: LifecycleMachine) -> bool:
    return bool(machine.model.objections)


class LifecycleMachine(RuleBasedStateMachine):
    """Drives the contract and the model side by side; set ``registry`` before running."""

    registry: ClassVar[Registry]

    def __init__(self) -> None:
        super().__init__()
        self.reg = self.registry
        self.chain: ChainClient = self.reg.chain
        self.snapshot = self.chain.rpc("evm_snapshot")
        self.model = Model(now=self.chain.block().timestamp)
        self.labels = 0
        self._last_ok = False
        self._target: int | None = None

    def teardown(self) -> None:
        self.chain.rpc("evm_revert", [self.snapshot])
        self.chain.reset_nonces()

    # --- plumbing -----------------------------------------------------------------------

    def _label(self) -> str:
        self.labels += 1
        return f"step {self.labels}"

    def _pick(self, pick: int, prefer: bool, *statuses: Status) -> int:
        if self._target is not None:  # set by `progress`
            target, self._target = self._target, None
            return target
        ids = sorted(self.model.regs)
        at = self.model.now + 1
        fitting = [i for i in ids if self.model.status_of(i, at) in statuses]
        pool = fitting if prefer and fitting else ids
        if not pool or pick == UNKNOWN_PICK:
            return UNKNOWN_ID
        return pool[pick % len(pool)]

    def _registrar_actor(self, reg_id: int, who: str) -> LocalAccount:
        code = self.model.regs[reg_id].code if reg_id in self.model.regs else CODE_A
        if who == "right":
            return REGISTRARS[code]
        if who == "other":
            return REGISTRARS[CODE_B if code == CODE_A else CODE_A]
        return self._holder_account(reg_id)

    def _holder_account(self, reg_id: int) -> LocalAccount:
        r = self.model.regs.get(reg_id)
        holder = r.holder if r else REGISTRANTS[0].address
        return next(a for a in REGISTRANTS if a.address == holder)

    def _holder_actor(self, reg_id: int, who: str) -> LocalAccount:
        holder = self._holder_account(reg_id)
        if who == "holder":
            return holder
        if who == "stranger":
            return next(a for a in REGISTRANTS if a.address != holder.address)
        return REGISTRARS[CODE_A]

    def _act(
        self,
        expected: Refusal | None,
        function: str,
        args: list[Any],
        signer: LocalAccount,
        gas: int = 1_000_000,
    ) -> list[ChainEvent] | None:
        """Simulate at the next second; compare with the model; mine it if it should pass."""
        at = self.model.now + 1
        self.chain.rpc("evm_setNextBlockTimestamp", [at])
        error = self.reg.simulate(function, args, signer)
        OUTCOMES[(function, expected[0] if expected else "ok")] += 1
        if expected is not None:
            assert error is not None, f"{function}{args} passed; the model expected {expected}"
            assert (error.error_name, error.args_by_name) == expected, function
            return None
        if error is not None:
            raise AssertionError(f"{function}{args} refused ({error}); the model expected success")
        (events,) = self.reg.bulk([(signer, function, args)], gas=gas)
        self.model.now = at
        return events

    # --- registrant ---------------------------------------------------------------------

    @initialize(
        applicants=st.lists(st.sampled_from(REGISTRANTS), min_size=2, max_size=4),
        variant=st.integers(0, 11),
    )
    def seed(self, applicants: list[LocalAccount], variant: int) -> None:
        """Start with a few applications to both registrars, the first of them issued."""
        for n, applicant in enumerate(applicants):
            code = (CODE_A, CODE_B)[n % 2]
            self.submit_resource(applicant, code, Level.GENERAL, "none", False, n == 1, None)
        first = min(self.model.regs)
        for step in (self.accept, self.open_notice):
            self._target = first
            step(0, True, "right")
        self.travel(NOTICE[self.model.regs[first].code] + variant)
        self._target = first
        self.issue(0, True, "right")
        assert self.model.regs[first].status == Status.ISSUED

    def _submit(self, applicant: LocalAccount, application: Application, relayed: bool) -> None:
        at = self.model.now + 1
        expected = self.model.submit_refusal(application, applicant.address, at)
        if relayed:
            nonce = self.model.nonces.get(applicant.address, 0)
            deadline = at + 3600
            signature = self.reg.sign_application(application, applicant, deadline, nonce=nonce)
            args = [application.as_tuple(), applicant.address, deadline, signature]
            events = self._act(expected, "submitApplicationFor", args, RELAYER)
        else:
            events = self._act(expected, "submitApplication", [application.as_tuple()], applicant)
        if events is None:
            return
        (submitted,) = [e for e in events if e.name == "ApplicationSubmitted"]
        reg_id = int(submitted.args["id"])
        if self.model.last_id is not None:
            assert reg_id == self.model.last_id + 1
        self.model.last_id = reg_id
        if relayed:
            self.model.nonces[applicant.address] = self.model.nonces.get(applicant.address, 0) + 1
        number = registration_number(
            at, application.data_source, application.applicant_type, reg_id
        )
        assert submitted.args["registrationNumber"] == int(number)
        assert submitted.args["applicant"] == applicant.address
        self.model.regs[reg_id] = Reg(
            holder=applicant.address,
            code=application.registrar_code,
            kind=application.kind,
            parents=application.parents,
            source_agreement_end=application.source_agreement_end,
            fingerprint=application.fingerprint,
            metadata_hash=application.metadata_hash,
        )

    @rule(
        applicant=st.sampled_from(REGISTRANTS),
        code=st.sampled_from([CODE_A, CODE_B]),
        level=LEVELS,
        agreement=st.sampled_from(["none", "none", "short", "long"]),
        stray_parent=st.sampled_from([False, False, False, False, False, True]),
        relayed=st.booleans(),
        reuse=REUSE,
    )
    def submit_resource(
        self,
        applicant: LocalAccount,
        code: int,
        level: Level,
        agreement: str,
        stray_parent: bool,
        relayed: bool,
        reuse: int | None,
    ) -> None:
        label = self._label()
        ends = {"none": 0, "short": self.model.now + 20 * DAY, "long": self.model.now + 800 * DAY}
        application = Application(
            code,
            level=level,
            source_agreement_end=ends[agreement],
            fingerprint=self._fingerprint(label, reuse),
            metadata_hash=digest(f"md {label}"),
            parents=(self._pick(0, True, Status.ISSUED),) if stray_parent else (),
        )
        self._submit(applicant, application, relayed)

    @rule(
        applicant=st.sampled_from(REGISTRANTS),
        code=st.sampled_from([CODE_A, CODE_B]),
        picks=st.one_of(st.lists(IDS, min_size=1, max_size=3), st.lists(IDS, max_size=0)),
        prefer=PREFER,
        relayed=st.booleans(),
        own=st.sampled_from([True, True, True, False]),
    )
    def submit_product(
        self,
        applicant: LocalAccount,
        code: int,
        picks: list[int],
        prefer: bool,
        relayed: bool,
        own: bool,
    ) -> None:
        label = self._label()
        parents = tuple(self._pick(p, prefer, Status.ISSUED) for p in picks)
        if own and parents and parents[0] in self.model.regs:
            # usually the holder of the (first) parent derives the product (v2: defect 6b)
            applicant = self._holder_account(parents[0])
        application = Application(
            code,
            kind=Kind.PRODUCT,
            rights=6,
            fingerprint=digest(f"fp {label}"),
            metadata_hash=digest(f"md {label}"),
            parents=parents,
        )
        self._submit(applicant, application, relayed)

    @rule(pick=IDS, prefer=PREFER, who=HOLDER_WHO)
    def resubmit(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._pick(pick, prefer, Status.RETURNED)
        caller = self._holder_actor(reg_id, who)
        expected = (
            self.model.existing(reg_id)
            or self.model.holder_check(reg_id, caller.address)
            or self.model.wrong_status(reg_id, Status.RETURNED)
        )
        label = self._label()
        fp, md = digest(f"fp {label}"), digest(f"md {label}")
        if self._act(expected, "resubmit", [reg_id, fp, md], caller) is not None:
            r = self.model.regs[reg_id]
            r.status, r.fingerprint, r.metadata_hash = Status.SUBMITTED, fp, md

    def _fingerprint(self, label: str, reuse: int | None) -> bytes:
        """A fresh fingerprint, or that of the ``reuse``-th live registration (else of any
        registration, when there is one)."""
        at = self.model.now + 1
        ids = [i for i in sorted(self.model.regs) if self.model.is_live(i, at)]
        ids = ids or sorted(self.model.regs)
        if reuse is None or not ids:
            return digest(f"fp {label}")
        return self.model.regs[ids[reuse % len(ids)]].fingerprint

    @rule(pick=IDS, prefer=PREFER, who=HOLDER_WHO, reuse=REUSE)
    def change(self, pick: int, prefer: bool, who: str, reuse: int | None = None) -> None:
        reg_id = self._pick(pick, prefer, Status.ISSUED, Status.EXPIRED)
        caller = self._holder_actor(reg_id, who)
        at = self.model.now + 1
        expected = (
            self.model.existing(reg_id)
            or self.model.wrong_status(reg_id, Status.ISSUED)
            or self.model.unexpired(reg_id, at)
            or self.model.holder_check(reg_id, caller.address)
        )
        self._new_version(expected, "change", reg_id, caller, reuse)

    def _new_version(
        self,
        expected: Refusal | None,
        function: str,
        reg_id: int,
        caller: LocalAccount,
        reuse: int | None,
    ) -> None:
        label = self._label()
        fp, md = self._fingerprint(label, reuse), digest(f"md {label}")
        at = self.model.now + 1
        if expected is None and fp != self.model.regs[reg_id].fingerprint:
            expected = self.model.fingerprint_refusal(fp, reg_id, at)
        events = self._act(expected, function, [reg_id, fp, md], caller)
        if events is None:
            return
        r = self.model.regs[reg_id]
        if fp != r.fingerprint:
            if self.model.live_by_fingerprint.get(r.fingerprint) == reg_id:
                del self.model.live_by_fingerprint[r.fingerprint]
            self.model.live_by_fingerprint[fp] = reg_id
        r.version += 1
        r.fingerprint, r.metadata_hash = fp, md
        (changed,) = [e for e in events if e.name == "AssetChanged"]
        assert changed.args["version"] == r.version
        assert changed.args["correction"] is (function == "correct")

    @rule(pick=IDS, prefer=PREFER, who=HOLDER_WHO)
    def cancel(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._pick(pick, prefer, Status.ISSUED, Status.EXPIRED)
        caller = self._holder_actor(reg_id, who)
        expected = (
            self.model.existing(reg_id)
            or self.model.holder_check(reg_id, caller.address)
            or self.model.wrong_status(reg_id, Status.ISSUED)
        )
        if self._act(expected, "cancel", [reg_id, digest("cancel")], caller) is not None:
            self.model.end(reg_id, Status.CANCELLED)

    @rule(pick=IDS, prefer=PREFER, who=HOLDER_WHO)
    def close_expired(self, pick: int, prefer: bool, who: str) -> None:
        """Anyone closes an expired certificate (v2)."""
        reg_id = self._pick(pick, prefer, Status.EXPIRED)
        caller = self._holder_actor(reg_id, who)
        at = self.model.now + 1
        expected = self.model.existing(reg_id) or self.model.wrong_status(reg_id, Status.ISSUED)
        if expected is None and at <= self.model.regs[reg_id].valid_until:
            valid_until = self.model.regs[reg_id].valid_until
            expected = ("RegistryNotExpired", {"id": reg_id, "validUntil": valid_until})
        if self._act(expected, "closeExpired", [reg_id], caller) is not None:
            self.model.end(reg_id, Status.EXPIRED)

    @rule(pick=IDS, prefer=PREFER, objector=st.sampled_from([*REGISTRANTS, OUTSIDER]))
    def file_objection(self, pick: int, prefer: bool, objector: LocalAccount) -> None:
        reg_id = self._pick(pick, prefer, Status.IN_NOTICE)
        at = self.model.now + 1
        expected = self.model.existing(reg_id) or self.model.wrong_status(reg_id, Status.IN_NOTICE)
        if expected is None:
            r = self.model.regs[reg_id]
            if at >= r.notice_end:
                expected = ("RegistryNoticeWindowClosed", {"id": reg_id, "noticeEnd": r.notice_end})
            elif not OPEN_TO_ALL[r.code] and not self.model.has_standing(reg_id, objector.address):
                expected = ("RegistryNoStanding", {"id": reg_id, "objector": objector.address})
        events = self._act(expected, "fileObjection", [reg_id, digest("evidence")], objector)
        if events is None:
            return
        (filed,) = [e for e in events if e.name == "ObjectionFiled"]
        objection_id = int(filed.args["objectionId"])
        if self.model.last_objection_id is not None:
            assert objection_id == self.model.last_objection_id + 1
        self.model.last_objection_id = objection_id
        self.model.objections[objection_id] = (reg_id, ObjectionStatus.OPEN)
        self.model.regs[reg_id].open_objections += 1

    # --- registrar ----------------------------------------------------------------------

    def _review(self, pick: int, prefer: bool, who: str, function: str, *allowed: Status) -> int:
        reg_id = self._pick(pick, prefer, *allowed)
        caller = self._registrar_actor(reg_id, who)
        stored = [s for s in allowed if s != Status.EXPIRED]  # expiry is never stored
        expected = self.model.as_registrar(reg_id, caller.address) or self.model.wrong_status(
            reg_id, *stored
        )
        args: list[Any] = [reg_id]
        if function in ("returnForCorrection", "reject", "revoke"):
            args += [5, digest("reason")]
        self._last_ok = self._act(expected, function, args, caller) is not None
        return reg_id

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def accept(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._review(pick, prefer, who, "accept", Status.SUBMITTED)
        if self._last_ok:
            self.model.regs[reg_id].status = Status.ACCEPTED

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def return_for_correction(self, pick: int, prefer: bool, who: str) -> None:
        allowed = (Status.SUBMITTED, Status.ACCEPTED)
        reg_id = self._review(pick, prefer, who, "returnForCorrection", *allowed)
        if self._last_ok:
            self.model.regs[reg_id].status = Status.RETURNED

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def reject(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._review(pick, prefer, who, "reject", Status.SUBMITTED, Status.ACCEPTED)
        if self._last_ok:
            self.model.regs[reg_id].status = Status.REJECTED

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def open_notice(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._review(pick, prefer, who, "openNotice", Status.ACCEPTED)
        if self._last_ok:
            r = self.model.regs[reg_id]
            r.status = Status.IN_NOTICE
            r.notice_start = self.model.now
            r.notice_end = self.model.now + NOTICE[r.code]

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def revoke(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._review(pick, prefer, who, "revoke", Status.ISSUED, Status.EXPIRED)
        if self._last_ok:
            self.model.end(reg_id, Status.REVOKED)

    @rule(
        pick=IDS,
        prefer=PREFER,
        who=REGISTRAR_WHO,
        party=st.sampled_from([*REGISTRANTS, OUTSIDER]),
    )
    def grant_standing(self, pick: int, prefer: bool, who: str, party: LocalAccount) -> None:
        reg_id = self._pick(pick, prefer, Status.ACCEPTED, Status.IN_NOTICE)
        caller = self._registrar_actor(reg_id, who)
        expected = self.model.as_registrar(reg_id, caller.address) or self.model.wrong_status(
            reg_id, Status.ACCEPTED, Status.IN_NOTICE
        )
        if self._act(expected, "grantStanding", [reg_id, party.address], caller) is not None:
            self.model.regs[reg_id].standing.add(party.address)

    @precondition(has_objections)
    @rule(pick=st.integers(0, 20), upheld=st.booleans(), who=REGISTRAR_WHO)
    def rule_objection(
        self, pick: int, upheld: bool, who: str, objection_id: int | None = None
    ) -> None:
        open_ids = [o for o, (_, s) in self.model.objections.items() if s == ObjectionStatus.OPEN]
        every = sorted(self.model.objections)
        if objection_id is None:  # else chosen by `progress`
            if pick < 15 and open_ids:
                objection_id = open_ids[pick % len(open_ids)]
            elif pick < 19 and every:
                objection_id = every[pick % len(every)]
            else:
                objection_id = 777_777
        reg_id, status = self.model.objections.get(objection_id, (UNKNOWN_ID, ObjectionStatus.NONE))
        caller = self._registrar_actor(reg_id, who)
        expected: Refusal | None
        if status != ObjectionStatus.OPEN:
            expected = ("RegistryObjectionNotOpen", {"objectionId": objection_id})
        else:
            expected = self.model.as_registrar(reg_id, caller.address)
        args = [objection_id, upheld, digest("ruling")]
        if self._act(expected, "ruleObjection", args, caller) is None:
            return
        ruled = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        self.model.objections[objection_id] = (reg_id, ruled)
        r = self.model.regs[reg_id]
        r.open_objections -= 1
        if upheld and r.status == Status.IN_NOTICE:
            r.status = Status.REJECTED

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO)
    def issue(self, pick: int, prefer: bool, who: str) -> None:
        reg_id = self._pick(pick, prefer, Status.IN_NOTICE)
        caller = self._registrar_actor(reg_id, who)
        at = self.model.now + 1
        expected = self.model.issue_refusal(reg_id, caller.address, at)
        events = self._act(expected, "issue", [reg_id], caller)
        if events is not None:
            self.model.apply_issue(reg_id, at)
            self._check_issued(events, [reg_id], at)

    @rule(picks=st.lists(IDS, min_size=1, max_size=4), prefer=PREFER, who=REGISTRAR_WHO)
    def issue_batch(self, picks: list[int], prefer: bool, who: str) -> None:
        ids = [self._pick(p, prefer, Status.IN_NOTICE) for p in picks]
        self._issue_batch(ids, self._registrar_actor(ids[0], who))

    def _issue_batch(self, ids: list[int], caller: LocalAccount) -> None:
        at = self.model.now + 1
        trial = copy.deepcopy(self.model)
        expected: Refusal | None = None
        for reg_id in ids:
            expected = trial.issue_refusal(reg_id, caller.address, at)
            if expected is not None:
                break
            trial.apply_issue(reg_id, at)
        events = self._act(expected, "issueBatch", [ids], caller, gas=BATCH_GAS)
        if events is not None:
            for reg_id in ids:
                self.model.apply_issue(reg_id, at)
            self._check_issued(events, ids, at)

    def _check_issued(self, events: list[ChainEvent], ids: list[int], at: int) -> None:
        issued = [e for e in events if e.name == "CertificateIssued"]
        assert [e.args["id"] for e in issued] == ids
        for e in issued:
            r = self.model.regs[e.args["id"]]
            number = certificate_number(at, r.code, e.args["id"])
            assert e.args["certificateNumber"] == int(number)
            assert e.args["validUntil"] == r.valid_until
            assert e.args["holder"] == r.holder

    @rule(pick=IDS, prefer=PREFER, who=REGISTRAR_WHO, reuse=REUSE)
    def correct(self, pick: int, prefer: bool, who: str, reuse: int | None = None) -> None:
        reg_id = self._pick(pick, prefer, Status.ISSUED, Status.EXPIRED)
        caller = self._registrar_actor(reg_id, who)
        expected = self.model.as_registrar(reg_id, caller.address) or self.model.wrong_status(
            reg_id, Status.ISSUED
        )
        self._new_version(expected, "correct", reg_id, caller, reuse)

    @rule(
        pick=IDS,
        prefer=PREFER,
        who=REGISTRAR_WHO,
        agreement=st.sampled_from(["none", "none", "before", "after"]),
    )
    def renew(self, pick: int, prefer: bool, who: str, agreement: str) -> None:
        reg_id = self._pick(pick, prefer, Status.ISSUED, Status.EXPIRED)
        caller = self._registrar_actor(reg_id, who)
        at = self.model.now + 1
        r = self.model.regs.get(reg_id)
        current = r.valid_until if r else 0
        sae = {"none": 0, "before": current - DAY, "after": current + 100 * DAY}[agreement]
        sae = max(sae, 0)
        expected = (
            self.model.as_registrar(reg_id, caller.address)
            or self.model.wrong_status(reg_id, Status.ISSUED)
            or self.model.unexpired(reg_id, at)
        )
        # v2 (defect 10): only inside the window; from now; 0 keeps the current cap
        if expected is None and at + RENEWAL_WINDOW < current:
            opens = current - RENEWAL_WINDOW
            expected = ("RegistryRenewalWindowNotOpen", {"id": reg_id, "opensAt": opens})
        cap = sae or (r.source_agreement_end if r else 0)
        new_valid_until = Model.capped(at + VALIDITY_PERIOD, cap)
        if expected is None and new_valid_until <= current:
            expected = ("RegistrySourceAgreementEnded", {"id": reg_id, "sourceAgreementEnd": cap})
        if self._act(expected, "renew", [reg_id, sae], caller) is not None:
            assert r is not None
            r.valid_until, r.source_agreement_end = new_valid_until, cap

    # --- the happy path, to get deep into the lifecycle ----------------------------------

    @rule(pick=IDS, variant=st.integers(0, 11))
    def progress(self, pick: int, variant: int) -> None:
        """The natural next step of one registration, by the right party.

        Half the time the registration is the one furthest along before issuance, so runs get
        deep into the lifecycle; otherwise any registration that can still move.
        """
        at = self.model.now + 1
        statuses = {i: self.model.status_of(i, at) for i in sorted(self.model.regs)}
        ids = [
            i
            for i, status in statuses.items()
            if status not in FINAL and self.model.regs[i].status != Status.EXPIRED  # closed
        ]
        if not ids:
            return
        reg_id = ids[pick % len(ids)]
        rank = {Status.IN_NOTICE: 0, Status.ACCEPTED: 1, Status.SUBMITTED: 2, Status.RETURNED: 2}
        ahead = sorted((rank[status], i) for i, status in statuses.items() if status in rank)
        if variant < 6 and ahead:
            reg_id = ahead[0][1]
        after_issue: list[Callable[[], None]] = [
            lambda: self.change(0, True, "holder"),
            lambda: self.correct(0, True, "right"),
            lambda: self._renew_in_window(reg_id, ("none", "before", "after")[variant % 3]),
            lambda: self.cancel(0, True, "holder"),
            lambda: self.revoke(0, True, "right"),
            lambda: self.change(0, True, "holder"),
        ]
        after_expiry: list[Callable[[], None]] = [
            *after_issue[:3],
            lambda: self.close_expired(0, True, "stranger"),
        ]
        moving: dict[Status, Callable[[], None]] = {
            Status.SUBMITTED: lambda: self.accept(0, True, "right"),
            Status.RETURNED: lambda: self.resubmit(0, True, "holder"),
            Status.ACCEPTED: lambda: self.open_notice(0, True, "right"),
            Status.IN_NOTICE: lambda: self._issue_some(reg_id, variant),
            Status.ISSUED: after_issue[variant % len(after_issue)],
            Status.EXPIRED: after_expiry[variant % len(after_expiry)],
        }
        r = self.model.regs[reg_id]
        if r.status == Status.IN_NOTICE and self._object_or_rule(reg_id, variant):
            return
        if r.status == Status.IN_NOTICE and at < r.notice_end:
            # the issuance then runs at noticeEnd, the first second after the window
            self.travel(r.notice_end - 1 - self.model.now)
        self._target = reg_id
        moving[self.model.status_of(reg_id, self.model.now + 1)]()
        self._target = None

    def _renew_in_window(self, reg_id: int, agreement: str) -> None:
        """Travel into the renewal window (v2), then renew."""
        r = self.model.regs[reg_id]
        opens = r.valid_until - RENEWAL_WINDOW
        if self.model.now + 1 < opens:
            self.travel(opens - 1 - self.model.now)
        self._target = reg_id
        self.renew(0, True, "right", agreement)

    def _object_or_rule(self, reg_id: int, variant: int) -> bool:
        """Sometimes object to an application in notice, and rule on open objections."""
        r = self.model.regs[reg_id]
        open_ids = [
            o
            for o, (i, status) in sorted(self.model.objections.items())
            if i == reg_id and status == ObjectionStatus.OPEN
        ]
        if open_ids:
            self.rule_objection(0, variant % 4 == 0, "right", objection_id=open_ids[0])
            return True
        if variant % 3 != 2 or self.model.now + 1 >= r.notice_end:
            return False
        objector = OUTSIDER
        if not OPEN_TO_ALL[r.code] and not self.model.has_standing(reg_id, objector.address):
            self._target = reg_id
            self.grant_standing(0, True, "right", objector)
        self._target = reg_id
        self.file_objection(0, True, objector)
        return True

    def _issue_some(self, reg_id: int, variant: int) -> None:
        """Issue ``reg_id`` alone, or in a batch with other applications in notice."""
        self._target = None
        if variant % 2:
            self._target = reg_id
            self.issue(0, True, "right")
            return
        others = [
            i
            for i, r in sorted(self.model.regs.items())
            if r.status == Status.IN_NOTICE and i != reg_id
        ]
        registrar = REGISTRARS[self.model.regs[reg_id].code]
        self._issue_batch([reg_id, *others[: variant % 4]], registrar)

    @rule(pick=IDS, variant=st.integers(0, 11))
    def progress_more(self, pick: int, variant: int) -> None:
        """The same again: twice the weight for the happy path among the rules."""
        self.progress(pick, variant)

    # --- time ---------------------------------------------------------------------------

    @rule(seconds=TIME_STEPS)
    def travel(self, seconds: int) -> None:
        if seconds <= 0:
            return
        self.model.now += seconds
        self.chain.rpc("evm_setNextBlockTimestamp", [self.model.now])
        self.chain.rpc("evm_mine")

    # --- governance: the operator never holds a role (issue 13, defect 1) ---------------

    @rule(attempt=st.integers(0, len(OPERATOR_GRABS) - 1))
    def operator_tries_to_take_a_role(self, attempt: int) -> None:
        """The operator (it relays and pays) tries to make itself admin, pauser, regulator or
        registrar staff; the authority refuses every attempt."""
        function, args = OPERATOR_GRABS[attempt]
        authority = self.reg.authority
        data = self.chain.encode_call("RegistryAuthority", authority, function, args)
        try:
            self.chain.simulate(authority, data, OPERATOR.address)
        except ContractRevertError as exc:
            OUTCOMES[(function, exc.error_name)] += 1
        else:
            raise AssertionError(f"the operator's {function}{args} was not refused")

    @invariant()
    def the_operator_never_holds_a_role(self) -> None:
        authority = self.reg.authority
        for role in (ADMIN_ROLE, PAUSER_ROLE, REGULATOR_ROLE):
            held = self.chain.call(
                "RegistryAuthority", authority, "hasRole", [role, OPERATOR.address]
            )
            assert not held, role
        code = self.chain.call(
            "RegistryAuthority", authority, "registrarCodeOf", [OPERATOR.address]
        )
        assert code == 0

    # --- the chain agrees with the model -------------------------------------------------

    @invariant()
    def chain_matches_model(self) -> None:
        assert self.chain.block().timestamp == self.model.now
        ids = sorted(self.model.regs)
        objection_ids = sorted(self.model.objections)
        calls: list[tuple[str, list[Any]]] = [("statusOf", [UNKNOWN_ID])]
        calls += [("objection", [o]) for o in objection_ids]
        for reg_id in ids:
            calls += [("statusOf", [reg_id]), ("registration", [reg_id])]
        results = self.reg.batch_call(calls)
        assert results[0] == Status.NONE
        records = results[1 : 1 + len(objection_ids)]
        for objection_id, record in zip(objection_ids, records, strict=True):
            reg_id, status = self.model.objections[objection_id]
            assert (record[0], record[3]) == (reg_id, status), objection_id
        pairs = results[1 + len(objection_ids) :]
        names = self.reg.registration_fields()
        for n, reg_id in enumerate(ids):
            status, raw = pairs[2 * n], pairs[2 * n + 1]
            stored = dict(zip(names, raw, strict=True))
            r = self.model.regs[reg_id]
            assert status == self.model.status_of(reg_id, self.model.now), reg_id
            actual = (
                stored["status"],  # v2: registration() reports the effective status
                stored["version"],
                stored["validUntil"],
                stored["openObjections"],
                to_checksum_address(stored["holder"]),
                stored["noticeEnd"],
                stored["issuedAt"],
                stored["sourceAgreementEnd"],
                stored["fingerprint"],
                tuple(stored["parents"]),
            )
            assert actual == (
                self.model.status_of(reg_id, self.model.now),
                r.version,
                r.valid_until,
                r.open_objections,
                r.holder,
                r.notice_end,
                r.issued_at,
                r.source_agreement_end,
                r.fingerprint,
                r.parents,
            ), reg_id

    @invariant()
    def one_live_registration_per_fingerprint(self) -> None:
        """At most one live (issued, unexpired) registration per fingerprint, and the registry's
        index names it (contracts v2, defect 5)."""
        now = self.model.now
        live: dict[bytes, list[int]] = collections.defaultdict(list)
        for reg_id, r in sorted(self.model.regs.items()):
            if self.model.is_live(reg_id, now):
                live[r.fingerprint].append(reg_id)
        fingerprints = sorted({r.fingerprint for r in self.model.regs.values()})
        indexed = self.reg.batch_call([("liveRegistrationOf", [fp]) for fp in fingerprints])
        for fp, on_chain in zip(fingerprints, indexed, strict=True):
            holders = live.get(fp, [])
            assert len(holders) <= 1, (fp.hex(), holders)
            assert on_chain == (holders[0] if holders else 0), fp.hex()


def test_lifecycle_matches_the_model(
    chain: ChainClient, deployment: DeploymentManifest, operator: LocalAccount
) -> None:
    registry = Registry(chain, deployment.address_of("DataAssetRegistry"), governor())
    OUTCOMES.clear()
    for code, account in REGISTRARS.items():
        registry.add_registrar(
            code, account, open_to_all=OPEN_TO_ALL[code], notice_period=NOTICE[code]
        )
    LifecycleMachine.registry = registry
    run_state_machine_as_test(
        LifecycleMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print("\n".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items())))  # shown with -s
    # the run went deep: every transition happened, and many kinds of refusal were checked
    for function in ("submitApplication", "submitApplicationFor", "accept", "openNotice", "issue"):
        assert OUTCOMES[(function, "ok")] > 0, function
    assert len(OUTCOMES) >= 30, sorted(OUTCOMES)


def test_the_model_catches_a_wrong_prediction(
    chain: ChainClient, deployment: DeploymentManifest, operator: LocalAccount
) -> None:
    """The machine's comparison is not vacuous: a model that is wrong about a rule fails."""
    registry = Registry(chain, deployment.address_of("DataAssetRegistry"), governor())
    registry.add_registrar(CODE_A, REGISTRARS[CODE_A], notice_period=NOTICE[CODE_A])
    LifecycleMachine.registry = registry
    machine = LifecycleMachine()
    try:
        machine.submit_resource(REGISTRANTS[0], CODE_A, Level.GENERAL, "none", False, False, None)
        machine.chain_matches_model()
        machine.model.regs[machine.model.last_id or 0].status = Status.ACCEPTED  # a wrong model
        with pytest.raises(AssertionError):
            machine.chain_matches_model()
        with pytest.raises((AssertionError, ContractRevertError)):
            machine.open_notice(0, True, "right")  # the model thinks it may open notice
    finally:
        machine.teardown()
