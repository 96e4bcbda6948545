"""Random sequences of licences, transfers, pledges, freezes and court orders against the real
TransferAgent and LicenceRegistry, with a pure-Python model of their rules.

Each rule asks the model first: a predicted refusal must be the contract's refusal (custom error
name, and the key argument where there is one); a predicted success must go through. After every
step the invariants compare the chain (one JSON-RPC batch of reads) with the model and check the
rules on the chain's own data:

* a pledged certificate changes holder only by the pledgee's consent, enforcement or court
  order, a frozen one only by court order;
* never two live pledges on one certificate, and ``livePledgeOf`` agrees;
* no live pledge on a certificate that is not in force (contracts v2: an expired certificate's
  pledge reads as settled, ``livePledgeOf`` is 0);
* a regulator's transfer approval (certificate 3 holds important data) is used at most once:
  every ``TransferApprovalUsed`` spends a distinct earlier ``TransferApproved`` of that move,
  and a spent approval reads as gone;
* no sublicence outlives or outscopes its parent, or is live when its parent is not;
* at one level (direct licences, or the sublicences of one parent) a live exclusive licence has
  no live sibling of the same right.

Time: every time the model chooses (maturities, licence terms) lies on a lattice of whole days
from the first certificate's validity end, and time travel lands half-way between lattice
points, so the few seconds each transaction adds never put a decision on a boundary. Each
example runs between ``evm_snapshot`` and ``evm_revert``.

Consents (v2) are bound to the pledgor they were given to and a deadline on the lattice; a
recipient without a recorded country (``NOWHERE``) fails closed; only the regulator that froze,
or the admin with a case reference, lifts a freeze.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from eth_account.signers.local import LocalAccount
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
from registry.context import RegistryContext
from registry.domain.chain import Receipt
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.contracts.agent_helpers import (
    AGENT,
    DAY,
    HOLDING,
    LICENCES,
    PROCESSING_USE,
    PRODUCT_OPERATION,
    REGISTRY,
    CertificateSpec,
    CertStatus,
    Consent,
    LicenceInput,
    LicenceStatus,
    PledgeStatus,
    PledgeTerms,
    Reason,
    Rights,
    fund,
    h,
    issue_certificates,
    open_context,
    travel,
)

pytestmark = pytest.mark.slow

H1, H2, H3, REGULATOR, BUYER, RELAYER = (dev_account(i) for i in range(1, 7))
ABROAD, LENDER1, LENDER2 = dev_account(8), dev_account(9), dev_account(10)
LIC1, LIC2, LIC3, OUTSIDER = (dev_account(i) for i in range(11, 15))
NOWHERE, REGULATOR2 = dev_account(15), dev_account(16)  # no recorded country; a 2nd regulator
ACCOUNTS: dict[str, LocalAccount] = {
    a.address: a
    for a in (H1, H2, H3, REGULATOR, BUYER, RELAYER, ABROAD, LENDER1, LENDER2, LIC1, LIC2, LIC3)
}
ACCOUNTS[OUTSIDER.address] = OUTSIDER
ACCOUNTS[NOWHERE.address] = NOWHERE
ACCOUNTS[REGULATOR2.address] = REGULATOR2
ACCOUNTS_BY_LOWER = {a.lower(): a for a in ACCOUNTS}
#: recipients of transfers and court orders (NOWHERE: refused, ABROAD: no cross-border record)
PARTIES = [H1, H2, H3, BUYER, ABROAD, LENDER1, NOWHERE]
#: parties whose country (CN) a regulator records at the start
DOMESTIC = [H1, H2, H3, BUYER, LENDER1, LENDER2, LIC1, LIC2, LIC3]
TOKENS = [1, 2, 3]  # 3: important data, moved only with a regulator's approval
LENDERS = [LENDER1, LENDER2]
LICENSEES = [LIC1, LIC2, LIC3, H1, H2]
MAX_DEPTH = 8
CASE = h("case")
DOC = h("contract")

Refusal = tuple[str, dict[str, Any]]
#: The ways a sublicence may exceed its parent.
EXCEEDS = ["right", "purposes", "territories", "start", "end", "exclusive"]

#: (rule, "ok" or the predicted error) -> count over the whole run: shows what was explored.
OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()


@dataclass
class TokenM:
    holder: str
    valid_until: int
    rights: int
    important: bool = False
    frozen: bool = False
    frozen_by: str = ""
    live_pledge: int = 0
    nonce: int = 0


@dataclass
class PledgeM:
    token: int
    pledgor: str
    pledgee: str
    maturity: int
    status: PledgeStatus = PledgeStatus.LIVE
    #: (action, counterparty) -> (pledgor it was given to, deadline)
    consents: dict[tuple[int, str], tuple[str, int]] = field(default_factory=dict)

    def usable(self, action: int, counterparty: str, now: int) -> bool:
        """Whether the consent lets the current pledgor act at ``now``."""
        given = self.consents.get((action, counterparty))
        return given is not None and given[0] == self.pledgor and given[1] >= now


@dataclass
class LicenceM:
    token: int
    parent: int
    licensor: str
    licensee: str
    right: int
    exclusive: bool
    sublicensable: bool
    purposes: int
    territories: int
    start: int
    end: int
    active: bool = True


@dataclass
class Env:
    rights: Rights
    tokens: dict[int, TokenM]
    lattice: int  # a validity end: every time the model picks is this plus whole days


@dataclass
class Move:
    """Why a certificate moved in the last step."""

    cause: str  # "transfer", "court", "enforce"
    events: list[str]


#: The arguments of ``LicenceExclusiveConflict`` the model predicts (v2: a busy window).
BUSY = ("busyFrom", "busyUntil")


class RightsMachine(RuleBasedStateMachine):
    env: ClassVar[Env | None] = None

    def __init__(self) -> None:
        super().__init__()
        assert self.env is not None
        self.rights = self.env.rights
        self.chain = self.rights.chain
        self.snapshot = self.chain.rpc("evm_snapshot")
        self.tokens = {i: TokenM(**vars(t)) for i, t in self.env.tokens.items()}
        self.pledges: dict[int, PledgeM] = {}
        self.licences: dict[int, LicenceM] = {}
        # v2 exclusivity summary per (token, level, right): [count, from, until] per group
        self.windows: dict[tuple[int, int, int, bool], list[int]] = {}
        self.moves: dict[int, Move] = {}
        #: (token, to) -> (from, expiry) of the unused approval the chain keeps
        self.approvals: dict[tuple[int, str], tuple[str, int]] = {}
        #: (token, to, from) -> approvals given / spent, from the chain's own events
        self.approvals_given: collections.Counter[tuple[int, str, str]] = collections.Counter()
        self.approvals_used: collections.Counter[tuple[int, str, str]] = collections.Counter()
        self.before = self._chain_tokens()

    def teardown(self) -> None:
        self.chain.rpc("evm_revert", [self.snapshot])
        self.chain.reset_nonces()

    # --- time ------------------------------------------------------------------------------

    def _now(self) -> int:
        return self.rights.now()

    def _floor(self, now: int) -> int:
        """The last lattice point at or before ``now``."""
        lattice = self.env.lattice if self.env else 0
        return lattice + ((now - lattice) // DAY) * DAY

    # --- model rules ---------------------------------------------------------------------------

    def _issued(self, token: int, now: int) -> bool:
        return now <= self.tokens[token].valid_until

    def _status(self, token: int, now: int) -> int:
        return CertStatus.ISSUED if self._issued(token, now) else CertStatus.EXPIRED

    def _recipient(self, token: int, to: str, now: int) -> Refusal | None:
        """TransferAgent's checks of a recipient, for a move from the current holder."""
        if to == NOWHERE.address:  # no recorded country: fail closed
            return "AgentRecipientWithoutCountry", {"to": to}
        t = self.tokens[token]
        if t.important:
            approval = self.approvals.get((token, to))
            if approval is None or approval[0] != t.holder or approval[1] < now:
                return "AgentApprovalRequired", {"tokenId": token, "to": to}
        if to == ABROAD.address:  # abroad ("HK") and no cross-border record is ever made
            return "AgentCrossBorderRecordRequired", {"to": to}
        return None

    def _spend_approval(self, token: int, to: str, receipt: Receipt) -> None:
        """A move of important data spent its approval: the model forgets it, and the chain's
        events are counted for the invariant."""
        if self.tokens[token].important:
            del self.approvals[(token, to)]
        for e in receipt.events:
            if e.name == "TransferApprovalUsed":
                key = (int(e.args["tokenId"]), str(e.args["to"]), str(e.args["from"]))
                self.approvals_used[(key[0], key[1].lower(), key[2].lower())] += 1
                OUTCOMES[("approvalUsed", "ok")] += 1

    def _depth(self, licence_id: int) -> int:
        depth = 0
        while licence_id:
            depth += 1
            licence_id = self.licences[licence_id].parent
        return depth

    def _live(self, licence_id: int, now: int) -> bool:
        lic = self.licences[licence_id]
        if not lic.active or not lic.start <= now <= lic.end:
            return False
        if lic.parent:
            return self._live(lic.parent, now)
        return self._issued(lic.token, now)

    def _conflict(self, token: int, parent: int, lic: LicenceM, now: int) -> tuple[int, int] | None:
        """v2: the busy window [from, until] the new licence collides with, judged as the
        contract does in constant gas: against the window of the level's active exclusive
        licences (and, for an exclusive licence, of the non-exclusive ones), which covers every
        active licence of its group and is cleared only when the group has none active."""
        groups = [True, False] if lic.exclusive else [True]
        for exclusive in groups:
            count, start, until = self.windows.get((token, parent, lic.right, exclusive), [0, 0, 0])
            if count and start <= lic.end and lic.start <= until and until >= now:
                return start, until
        return None

    def _counted(self, lic: LicenceM) -> None:
        """A granted licence joins its group's window."""
        w = self.windows.setdefault((lic.token, lic.parent, lic.right, lic.exclusive), [0, 0, 0])
        if w[0] == 0 or lic.start < w[1]:
            w[1] = lic.start
        w[2] = max(w[2], lic.end)
        w[0] += 1

    def _uncounted(self, lic: LicenceM) -> None:
        """A terminated licence leaves its group; the window clears when the group is empty."""
        w = self.windows[(lic.token, lic.parent, lic.right, lic.exclusive)]
        w[0] -= 1
        if w[0] == 0:
            w[1] = w[2] = 0

    def _licensor(self, licence_id: int) -> str:
        """v2: a direct licence's licensor is the certificate's current holder."""
        lic = self.licences[licence_id]
        return lic.licensor if lic.parent else self.tokens[lic.token].holder

    def _check_input(self, lic: LicenceM, licensor: str, now: int) -> Refusal | None:
        if lic.licensee == licensor:
            return "LicenceInvalidLicensee", {}
        if lic.end <= lic.start or lic.end <= now:
            return "LicenceInvalidTerm", {}
        return None

    # --- acting ------------------------------------------------------------------------------

    def _act(
        self,
        label: str,
        contract: str,
        function: str,
        args: list[Any],
        signer: LocalAccount,
        predicted: Refusal | None,
    ) -> Receipt | None:
        refusal: ContractRevertError | None = None
        receipt: Receipt | None = None
        try:
            receipt = self.rights.tx(contract, function, args, signer)
        except ContractRevertError as exc:
            refusal = exc
        if refusal is None:
            assert predicted is None, (
                f"{label}: the model predicted {predicted[0]}, it went through"
            )
            OUTCOMES[(label, "ok")] += 1
            return receipt
        refused = f"{refusal.error_name}{refusal.args_by_name}"
        assert predicted is not None, f"{label}: the model expected success, refused: {refused}"
        name, expected_args = predicted
        assert refusal.error_name == name, (
            f"{label}: the model predicted {name}, refused: {refused}"
        )
        for key, value in expected_args.items():
            got = refusal.args_by_name[key]
            if isinstance(got, str):
                assert got.lower() == str(value).lower(), f"{label}: {refused}, {key}={value}"
            else:
                assert got == value, f"{label}: {refused}, {key}={value}"
        OUTCOMES[(label, name)] += 1
        return None

    def _moved(self, token: int, to: str, cause: str, receipt: Receipt) -> None:
        self.tokens[token].holder = to
        self.moves[token] = Move(cause, [e.name for e in receipt.events])

    # --- seeds: most examples start with a licence chain root and a pledge --------------------

    @initialize(
        exclusive=st.booleans(),
        licensee=st.sampled_from([LIC1, LIC2]),
        pledge=st.sampled_from([True, True, False]),
        maturity_day=st.sampled_from([3, 30]),
    )
    def seed(
        self, exclusive: bool, licensee: LocalAccount, pledge: bool, maturity_day: int
    ) -> None:
        self.grant_licence(1, True, licensee, PROCESSING_USE, exclusive, True, 0b11, 0b11, 0, 400)
        assert self.licences, "the seed licence was refused"
        if pledge:
            self.pledge(2, LENDER1, True, maturity_day)

    # --- licences ----------------------------------------------------------------------------

    @rule(
        token=st.sampled_from([1, 2]),
        as_holder=st.sampled_from([True, True, True, False]),
        licensee=st.sampled_from(LICENSEES),
        right=st.sampled_from([PROCESSING_USE, PROCESSING_USE, PRODUCT_OPERATION, 3 * HOLDING]),
        exclusive=st.booleans(),
        sublicensable=st.sampled_from([True, True, False]),
        purposes=st.sampled_from([0b1, 0b11, 0b110]),
        territories=st.sampled_from([0b1, 0b11]),
        start_day=st.sampled_from([-2, 0, 1, 10]),
        length=st.sampled_from([1, 5, 60, 400, 1200]),
    )
    def grant_licence(
        self,
        token: int,
        as_holder: bool,
        licensee: LocalAccount,
        right: int,
        exclusive: bool,
        sublicensable: bool,
        purposes: int,
        territories: int,
        start_day: int,
        length: int,
    ) -> None:
        now = self._now()
        t = self.tokens[token]
        caller = ACCOUNTS[t.holder] if as_holder else OUTSIDER
        start = self._floor(now) + start_day * DAY
        lic = LicenceM(
            token, 0, caller.address, licensee.address, right, exclusive, sublicensable,
            purposes, territories, start, start + length * DAY,
        )  # fmt: skip
        predicted: Refusal | None = None
        consume = False
        conflict: tuple[int, int] | None = None
        if not self._issued(token, now):
            predicted = "LicenceCertificateNotIssued", {"status": CertStatus.EXPIRED}
        elif caller.address != t.holder:
            predicted = "LicenceNotHolder", {"account": caller.address}
        elif right not in (PROCESSING_USE, PRODUCT_OPERATION):
            predicted = "LicenceInvalidRight", {"right": right}
        elif t.rights & right == 0:
            predicted = "LicenceRightNotCertified", {"right": right}
        elif refusal := self._check_input(lic, t.holder, now):
            predicted = refusal
        elif lic.end > t.valid_until:
            predicted = "LicenceOutlastsCertificate", {}
        elif t.frozen:
            predicted = "AgentFrozen", {}
        elif conflict := self._conflict(token, 0, lic, now):
            predicted = "LicenceExclusiveConflict", dict(zip(BUSY, conflict, strict=True))
        elif exclusive and t.live_pledge:
            pledge = self.pledges[t.live_pledge]
            if not pledge.usable(Consent.EXCLUSIVE_LICENCE, licensee.address, now):
                predicted = "AgentPledged", {"pledgeId": t.live_pledge}
            consume = True
        licence = LicenceInput(
            licensee.address, lic.start, lic.end, right, exclusive, sublicensable, purposes,
            territories,
        )  # fmt: skip
        receipt = self._act(
            "grantLicence", LICENCES, "grantLicence", [token, licence.as_tuple()], caller, predicted
        )
        if receipt is None:
            return
        if consume:
            self.pledges[t.live_pledge].consents.pop((Consent.EXCLUSIVE_LICENCE, licensee.address))
        licence_id = int(
            next(e for e in receipt.events if e.name == "LicenceGranted").args["licenceId"]
        )
        assert licence_id == len(self.licences) + 1
        self.licences[licence_id] = lic
        self._counted(lic)

    @precondition(lambda self: self.licences)
    @rule(
        pick=st.integers(0, 40),
        as_licensee=st.sampled_from([True] * 5 + [False]),
        licensee=st.sampled_from(LICENSEES),
        narrow=st.sampled_from(["no", "no", "term", "purposes", "start"]),
        exceed=st.sampled_from([*[None] * 8, *EXCEEDS]),
        exclusive=st.sampled_from([False, False, True]),
        sublicensable=st.booleans(),
    )
    def grant_sublicence(
        self,
        pick: int,
        as_licensee: bool,
        licensee: LocalAccount,
        narrow: str,
        exceed: str | None,
        exclusive: bool,
        sublicensable: bool,
    ) -> None:
        """A sublicence inside its parent, narrowed one way or exceeding it one way."""
        now = self._now()
        ids = sorted(self.licences)
        # prefer sublicensable parents
        sublicensable_ids = [i for i in ids if self.licences[i].sublicensable]
        pool = sublicensable_ids if sublicensable_ids and pick % 4 else ids
        parent_id = pool[pick % len(pool)]
        parent = self.licences[parent_id]
        caller = ACCOUNTS[parent.licensee] if as_licensee else OUTSIDER
        lic = LicenceM(
            token=parent.token,
            parent=parent_id,
            licensor=caller.address,
            licensee=licensee.address,
            right=parent.right,
            exclusive=exclusive and parent.exclusive,
            sublicensable=sublicensable,
            purposes=parent.purposes,
            territories=parent.territories,
            start=parent.start,
            end=parent.end,
        )
        if narrow == "term":
            lic.end = max(parent.start + DAY, parent.end - 2 * DAY)
        elif narrow == "purposes":
            lic.purposes = parent.purposes & -parent.purposes  # its lowest bit
        elif narrow == "start":
            lic.start = parent.start + DAY
        if exceed == "right":
            lic.right = PROCESSING_USE + PRODUCT_OPERATION - parent.right
        elif exceed == "purposes":
            lic.purposes |= 0b1000
        elif exceed == "territories":
            lic.territories |= 0b100
        elif exceed == "start":
            lic.start = parent.start - DAY
        elif exceed == "end":
            lic.end = parent.end + DAY
        elif exceed == "exclusive":
            lic.exclusive = True
        predicted: Refusal | None = None
        conflict: tuple[int, int] | None = None
        if caller.address != parent.licensee:
            predicted = "LicenceNotLicensee", {"licenceId": parent_id}
        elif not parent.sublicensable:
            predicted = "LicenceNotSublicensable", {"parentId": parent_id}
        elif not parent.active or not self._live(parent_id, now):
            predicted = "LicenceParentNotActive", {"parentId": parent_id}
        elif self._depth(parent_id) >= MAX_DEPTH:
            predicted = "LicenceChainTooDeep", {"parentId": parent_id}
        elif refusal := self._check_input(lic, caller.address, now):
            predicted = refusal
        elif lic.right != parent.right:
            predicted = "LicenceExceedsParent", {"field": "right"}
        elif lic.purposes & ~parent.purposes:
            predicted = "LicenceExceedsParent", {"field": "purposes"}
        elif lic.territories & ~parent.territories:
            predicted = "LicenceExceedsParent", {"field": "territories"}
        elif lic.start < parent.start or lic.end > parent.end:
            predicted = "LicenceExceedsParent", {"field": "term"}
        elif lic.exclusive and not parent.exclusive:
            predicted = "LicenceExceedsParent", {"field": "exclusive"}
        elif self.tokens[parent.token].frozen:
            predicted = "AgentFrozen", {"tokenId": parent.token}
        elif conflict := self._conflict(parent.token, parent_id, lic, now):
            predicted = "LicenceExclusiveConflict", dict(zip(BUSY, conflict, strict=True))
        licence = LicenceInput(
            lic.licensee, lic.start, lic.end, lic.right, lic.exclusive, sublicensable,
            lic.purposes, lic.territories,
        )  # fmt: skip
        receipt = self._act(
            "grantSublicence",
            LICENCES,
            "grantSublicence",
            [parent_id, licence.as_tuple()],
            caller,
            predicted,
        )
        if receipt is not None:
            self.licences[len(self.licences) + 1] = lic
            self._counted(lic)

    @precondition(lambda self: self.licences)
    @rule(pick=st.integers(0, 40), who=st.sampled_from(["licensor", "licensee", "outsider"]))
    def terminate(self, pick: int, who: str) -> None:
        licence_id = sorted(self.licences)[pick % len(self.licences)]
        lic = self.licences[licence_id]
        licensor = self._licensor(licence_id)
        caller = {
            "licensor": ACCOUNTS[licensor],
            "licensee": ACCOUNTS[lic.licensee],
            "outsider": OUTSIDER,
        }[who]
        predicted: Refusal | None = None
        if caller.address not in (licensor, lic.licensee):
            predicted = "LicenceNotParty", {"licenceId": licence_id}
        elif not lic.active:
            predicted = "LicenceNotActive", {"licenceId": licence_id}
        receipt = self._act(
            "terminate", LICENCES, "terminate", [licence_id, h("reason")], caller, predicted
        )
        if receipt is not None:
            lic.active = False
            self._uncounted(lic)

    # --- transfers ----------------------------------------------------------------------------

    @rule(
        token=st.sampled_from(TOKENS),
        to=st.sampled_from(PARTIES),
        as_holder=st.sampled_from([True, True, True, False]),
        with_consent=st.booleans(),
        reason=st.sampled_from([Reason.SALE, Reason.SALE, Reason.MERGER, Reason.COURT_ORDER]),
    )
    def transfer(
        self, token: int, to: LocalAccount, as_holder: bool, with_consent: bool, reason: Reason
    ) -> None:
        t = self.tokens[token]
        if with_consent and t.live_pledge:
            self._consent(t.live_pledge, Consent.TRANSFER, to.address, as_pledgee=True, days=1)
        if with_consent and t.important:  # and the regulator's approval of this move
            self.approve(to, 3, False)
        now = self._now()
        caller = ACCOUNTS[t.holder] if as_holder else OUTSIDER
        predicted: Refusal | None = None
        pledge = self.pledges.get(t.live_pledge)
        key = (Consent.TRANSFER, to.address)
        if reason not in (Reason.SALE, Reason.INHERITANCE, Reason.MERGER):
            predicted = "AgentInvalidReason", {"reason": reason}
        elif not self._issued(token, now):
            predicted = "AgentNotIssued", {"status": CertStatus.EXPIRED}
        elif caller.address != t.holder:
            predicted = "AgentNotHolder", {"account": caller.address}
        elif t.frozen:
            predicted = "AgentFrozen", {"tokenId": token}
        elif pledge is not None and not pledge.usable(*key, now):
            predicted = "AgentPledged", {"pledgeId": t.live_pledge}
        else:
            predicted = self._recipient(token, to.address, now)
        receipt = self._act(
            "transfer", AGENT, "transfer", [token, to.address, int(reason), DOC], caller, predicted
        )
        if receipt is None:
            return
        if pledge is not None:
            pledge.consents.pop(key)
            pledge.pledgor = to.address
        self._spend_approval(token, to.address, receipt)
        self._moved(token, to.address, "transfer", receipt)

    @rule(
        token=st.sampled_from(TOKENS),
        to=st.sampled_from(PARTIES),
        as_regulator=st.sampled_from([True, True, True, False]),
    )
    def court_order(self, token: int, to: LocalAccount, as_regulator: bool) -> None:
        now = self._now()
        t = self.tokens[token]
        caller = REGULATOR if as_regulator else ACCOUNTS[t.holder]
        predicted: Refusal | None = None
        if not as_regulator:
            predicted = "AgentNotRegulator", {"account": caller.address}
        elif not self._issued(token, now):
            predicted = "AgentNotIssued", {"status": CertStatus.EXPIRED}
        else:
            predicted = self._recipient(token, to.address, now)
        receipt = self._act(
            "courtOrderTransfer",
            AGENT,
            "courtOrderTransfer",
            [token, to.address, CASE],
            caller,
            predicted,
        )
        if receipt is None:
            return
        if t.live_pledge:
            self.pledges[t.live_pledge].pledgor = to.address
        self._spend_approval(token, to.address, receipt)
        self._moved(token, to.address, "court", receipt)

    @rule(
        to=st.sampled_from(PARTIES),
        days=st.sampled_from([1, 3, 30]),
        withdraw=st.sampled_from([False, False, False, True]),
    )
    def approve(self, to: LocalAccount, days: int, withdraw: bool) -> None:
        """A regulator approves one move of certificate 3 (important data) from its holder."""
        token = 3
        t = self.tokens[token]
        now = self._now()
        expiry = 0 if withdraw else self._floor(now) + days * DAY
        predicted: Refusal | None = None
        if not withdraw and not self._issued(token, now):
            predicted = "AgentNotIssued", {"status": CertStatus.EXPIRED}
        receipt = self._act(
            "approveTransfer",
            AGENT,
            "approveTransfer",
            [token, to.address, expiry],
            REGULATOR,
            predicted,
        )
        if receipt is None:
            return
        if withdraw:
            self.approvals.pop((token, to.address), None)
            return
        self.approvals[(token, to.address)] = (t.holder, expiry)
        self.approvals_given[(token, to.address.lower(), t.holder.lower())] += 1

    @rule(
        token=st.sampled_from(TOKENS),
        who=st.sampled_from(["regulator", "regulator", "regulator2", "holder"]),
    )
    def freeze(self, token: int, who: str) -> None:
        t = self.tokens[token]
        caller = {"regulator": REGULATOR, "regulator2": REGULATOR2}.get(who, ACCOUNTS[t.holder])
        predicted: Refusal | None = None
        if who == "holder":
            predicted = "AgentNotRegulator", {}
        elif t.frozen:
            predicted = "AgentFrozen", {"tokenId": token}
        if self._act("freeze", AGENT, "freeze", [token, CASE], caller, predicted) is not None:
            t.frozen, t.frozen_by = True, caller.address

    @rule(
        token=st.sampled_from(TOKENS),
        who=st.sampled_from(["regulator", "regulator", "regulator2", "admin", "outsider"]),
    )
    def unfreeze(self, token: int, who: str) -> None:
        """Only the regulator that froze, or the admin (with a case), lifts a freeze."""
        t = self.tokens[token]
        caller = {
            "regulator": REGULATOR,
            "regulator2": REGULATOR2,
            "admin": self.rights.admin,
            "outsider": OUTSIDER,
        }[who]
        predicted: Refusal | None = None
        if not t.frozen:
            predicted = "AgentNotFrozen", {"tokenId": token}
        elif who != "admin" and caller.address != t.frozen_by:
            predicted = "AgentNotFreezer", {"account": caller.address, "frozenBy": t.frozen_by}
        if self._act("unfreeze", AGENT, "unfreeze", [token, CASE], caller, predicted) is not None:
            t.frozen, t.frozen_by = False, ""

    # --- pledges --------------------------------------------------------------------------------

    @rule(
        token=st.sampled_from(TOKENS),
        lender=st.sampled_from(LENDERS),
        as_holder=st.sampled_from([True, True, True, False]),
        maturity_day=st.sampled_from([0, 1, 3, 30, 30, 400, 1200]),
    )
    def pledge(self, token: int, lender: LocalAccount, as_holder: bool, maturity_day: int) -> None:
        now = self._now()
        t = self.tokens[token]
        pledgor = ACCOUNTS[t.holder] if as_holder else BUYER
        maturity = self._floor(now) + maturity_day * DAY
        terms = PledgeTerms(
            token_id=token,
            pledgor=pledgor.address,
            pledgee=lender.address,
            maturity=maturity,
            nonce=t.nonce,
            deadline=now + DAY // 4,
        )
        predicted: Refusal | None = None
        if not self._issued(token, now):
            predicted = "AgentNotIssued", {"status": CertStatus.EXPIRED}
        elif pledgor.address != t.holder:
            predicted = "AgentNotHolder", {"account": pledgor.address}
        elif t.frozen:
            predicted = "AgentFrozen", {}
        elif lender.address == pledgor.address:
            predicted = "AgentInvalidPledgeTerms", {"field": "pledgee"}
        elif maturity <= now:
            predicted = "AgentPledgeMaturityPassed", {"maturity": maturity}
        elif maturity >= t.valid_until:
            predicted = "AgentPledgeOutlastsCertificate", {"validUntil": t.valid_until}
        elif t.live_pledge:
            predicted = "AgentPledgeAlreadyLive", {"pledgeId": t.live_pledge}
        signatures = [
            self.rights.sign_pledge(terms, pledgor),
            self.rights.sign_pledge(terms, lender),
        ]
        receipt = self._act(
            "registerPledge",
            AGENT,
            "registerPledge",
            [terms.as_tuple(), *signatures],
            RELAYER,
            predicted,
        )
        if receipt is None:
            return
        pledge_id = len(self.pledges) + 1
        registered = next(e for e in receipt.events if e.name == "PledgeRegistered")
        assert registered.args["pledgeId"] == pledge_id
        self.pledges[pledge_id] = PledgeM(token, pledgor.address, lender.address, maturity)
        t.live_pledge = pledge_id
        t.nonce += 1

    def _pick_pledge(self, pick: int) -> int:
        ids = sorted(self.pledges)
        live = [i for i in ids if self.pledges[i].status is PledgeStatus.LIVE]
        pool = live if live and pick % 4 else ids
        return pool[pick % len(pool)]

    def _effective(self, pledge_id: int, now: int) -> PledgeStatus:
        """The pledge's status as the chain reports it: settled once its certificate is not in
        force."""
        p = self.pledges[pledge_id]
        if p.status is PledgeStatus.LIVE and not self._issued(p.token, now):
            return PledgeStatus.SETTLED
        return p.status

    def _pledgee_check(self, pledge_id: int, caller: LocalAccount) -> Refusal | None:
        p = self.pledges[pledge_id]
        if self._effective(pledge_id, self._now()) is not PledgeStatus.LIVE:
            return "AgentPledgeNotLive", {"pledgeId": pledge_id}
        if caller.address != p.pledgee:
            return "AgentNotPledgee", {"pledgeId": pledge_id, "account": caller.address}
        return None

    @precondition(lambda self: self.pledges)
    @rule(pick=st.integers(0, 40), as_pledgee=st.sampled_from([True, True, True, False]))
    def release(self, pick: int, as_pledgee: bool) -> None:
        pledge_id = self._pick_pledge(pick)
        p = self.pledges[pledge_id]
        caller = ACCOUNTS[p.pledgee] if as_pledgee else ACCOUNTS[p.pledgor]
        predicted = self._pledgee_check(pledge_id, caller)
        if (
            self._act("releasePledge", AGENT, "releasePledge", [pledge_id], caller, predicted)
            is not None
        ):
            p.status = PledgeStatus.RELEASED
            self.tokens[p.token].live_pledge = 0

    @precondition(lambda self: self.pledges)
    @rule(
        pick=st.integers(0, 40),
        as_pledgee=st.sampled_from([True, True, True, False]),
        to_self=st.booleans(),
        buyer=st.sampled_from(PARTIES),
    )
    def enforce(self, pick: int, as_pledgee: bool, to_self: bool, buyer: LocalAccount) -> None:
        now = self._now()
        pledge_id = self._pick_pledge(pick)
        p = self.pledges[pledge_id]
        caller = ACCOUNTS[p.pledgee] if as_pledgee else OUTSIDER
        to = p.pledgee if to_self else buyer.address
        t = self.tokens[p.token]
        predicted = self._pledgee_check(pledge_id, caller)
        if predicted is not None:
            pass
        elif now <= p.maturity:
            predicted = "AgentPledgeNotMatured", {"pledgeId": pledge_id, "maturity": p.maturity}
        elif t.frozen:
            predicted = "AgentFrozen", {}
        else:
            predicted = self._recipient(p.token, to, now)
        receipt = self._act(
            "enforcePledge", AGENT, "enforcePledge", [pledge_id, to], caller, predicted
        )
        if receipt is None:
            return
        p.status = PledgeStatus.ENFORCED
        t.live_pledge = 0
        self._spend_approval(p.token, to, receipt)
        self._moved(p.token, to, "enforce", receipt)

    def _consent(
        self, pledge_id: int, action: Consent, counterparty: str, as_pledgee: bool, days: int
    ) -> None:
        """The pledgee consents until ``days`` lattice days ahead (given to the pledgor now)."""
        p = self.pledges[pledge_id]
        caller = ACCOUNTS[p.pledgee] if as_pledgee else ACCOUNTS[p.pledgor]
        predicted = self._pledgee_check(pledge_id, caller)
        deadline = self._floor(self._now()) + days * DAY
        receipt = self._act(
            "grantConsent",
            AGENT,
            "grantConsent",
            [pledge_id, int(action), counterparty, deadline],
            caller,
            predicted,
        )
        if receipt is not None:
            p.consents[(action, counterparty)] = (p.pledgor, deadline)

    @precondition(lambda self: self.pledges)
    @rule(
        pick=st.integers(0, 40),
        action=st.sampled_from([Consent.TRANSFER, Consent.EXCLUSIVE_LICENCE]),
        counterparty=st.sampled_from([*PARTIES, *LICENSEES]),
        as_pledgee=st.sampled_from([True, True, True, False]),
        days=st.sampled_from([1, 3, 30]),
    )
    def consent(
        self, pick: int, action: Consent, counterparty: LocalAccount, as_pledgee: bool, days: int
    ) -> None:
        self._consent(self._pick_pledge(pick), action, counterparty.address, as_pledgee, days)

    @precondition(lambda self: self.pledges)
    @rule(
        pick=st.integers(0, 40),
        action=st.sampled_from([Consent.TRANSFER, Consent.EXCLUSIVE_LICENCE]),
        counterparty=st.sampled_from([*PARTIES, *LICENSEES]),
        as_pledgee=st.sampled_from([True, True, True, False]),
        existing=st.sampled_from([True, True, False]),
    )
    def withdraw_consent(
        self,
        pick: int,
        action: Consent,
        counterparty: LocalAccount,
        as_pledgee: bool,
        existing: bool,
    ) -> None:
        """The pledgee withdraws a consent (mostly one it gave, else any)."""
        pledge_id = self._pick_pledge(pick)
        p = self.pledges[pledge_id]
        caller = ACCOUNTS[p.pledgee] if as_pledgee else ACCOUNTS[p.pledgor]
        key: tuple[int, str] = (int(action), counterparty.address)
        if existing and p.consents:
            key = sorted(p.consents)[pick % len(p.consents)]
        action, counterparty = Consent(key[0]), ACCOUNTS[key[1]]
        predicted = self._pledgee_check(pledge_id, caller)
        if predicted is None and key not in p.consents:
            predicted = "AgentNoConsent", {"pledgeId": pledge_id}
        receipt = self._act(
            "withdrawConsent",
            AGENT,
            "withdrawConsent",
            [pledge_id, int(action), counterparty.address],
            caller,
            predicted,
        )
        if receipt is not None:
            del p.consents[key]

    # --- time -----------------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 1, 3, 3, 30, 30, 200, 400]))
    def time_travel(self, days: int) -> None:
        now = self._now()
        target = self._floor(now) + days * DAY + DAY // 2
        travel(self.chain, target - now)
        OUTCOMES[("travel", "ok")] += 1

    # --- invariants -----------------------------------------------------------------------------

    def _chain_tokens(self) -> dict[int, tuple[str, int, bool]]:
        calls: list[tuple[str, str, list[Any]]] = []
        for token in sorted(self.tokens):
            calls += [
                (REGISTRY, "ownerOf", [token]),
                (AGENT, "livePledgeOf", [token]),
                (AGENT, "freezeOf", [token]),
            ]
        values = self.rights.batch(calls)
        return {
            token: (values[3 * n], int(values[3 * n + 1]), bool(values[3 * n + 2][0]))
            for n, token in enumerate(sorted(self.tokens))
        }

    @invariant()
    def licences_follow_the_holder_and_end_with_the_certificate(self) -> None:
        """v2 (licences): the licensor of a direct licence is always the certificate's current
        holder; no licence is live on a certificate that is not in force."""
        tokens = sorted(self.tokens)
        licence_ids = sorted(self.licences)
        calls: list[tuple[str, str, list[Any]]] = [
            (REGISTRY, "certificateState", [t]) for t in tokens
        ]
        calls += [(LICENCES, "licence", [i]) for i in licence_ids]
        calls += [(LICENCES, "isLive", [i]) for i in licence_ids]
        values = iter(self.rights.batch(calls))
        states = {t: next(values) for t in tokens}
        records = {i: next(values) for i in licence_ids}
        for licence_id in licence_ids:
            record, live = records[licence_id], bool(next(values))
            token, parent, licensor = int(record[0]), int(record[1]), record[2]
            holder, status = states[token][0], int(states[token][1])
            if parent == 0:
                assert licensor == holder, f"licence {licence_id}: licensor {licensor}"
            else:
                assert licensor == self.licences[parent].licensee
            if status != CertStatus.ISSUED:
                assert not live, f"licence {licence_id} live on a certificate in status {status}"

    @invariant()
    def chain_agrees_with_the_model_and_the_rules_hold(self) -> None:
        tokens = sorted(self.tokens)
        pledge_ids = sorted(self.pledges)
        licence_ids = sorted(self.licences)
        calls: list[tuple[str, str, list[Any]]] = []
        for token in tokens:
            calls += [
                (REGISTRY, "ownerOf", [token]),
                (REGISTRY, "certificateState", [token]),
                (AGENT, "livePledgeOf", [token]),
                (AGENT, "freezeOf", [token]),
                (AGENT, "pledgeNonce", [token]),
            ]
        calls += [(AGENT, "pledge", [i]) for i in pledge_ids]
        calls += [(AGENT, "pledge", [len(pledge_ids) + 1])]  # nothing beyond the model's
        calls += [(LICENCES, "licence", [i]) for i in licence_ids]
        calls += [(LICENCES, "isLive", [i]) for i in licence_ids]
        calls += [(LICENCES, "licencesOf", [t]) for t in tokens]
        values = iter(self.rights.batch(calls))
        now = self._now()

        after: dict[int, tuple[str, int, bool]] = {}
        for token in tokens:
            owner, state, live, freeze, nonce = (next(values) for _ in range(5))
            m = self.tokens[token]
            assert owner == m.holder, f"token {token}: owner {owner}, model {m.holder}"
            assert state[0] == owner  # the registration's holder follows the token
            assert int(state[1]) == self._status(token, now)
            in_force = int(state[1]) == CertStatus.ISSUED
            expected_live = m.live_pledge if in_force else 0
            assert int(live) == expected_live, f"token {token}: livePledgeOf {live}"
            # no live pledge on a certificate that is not in force
            assert in_force or int(live) == 0, f"token {token} not in force, pledge {live} live"
            assert bool(freeze[0]) == m.frozen
            assert int(nonce) == m.nonce
            after[token] = (owner, int(live), bool(freeze[0]))

        live_by_token: collections.Counter[int] = collections.Counter()
        for pledge_id in pledge_ids:
            record = next(values)
            p = self.pledges[pledge_id]
            assert int(record[0]) == p.token
            assert record[1] == p.pledgor, f"pledge {pledge_id}: pledgor {record[1]}"
            assert record[2] == p.pledgee
            status = self._effective(pledge_id, now)
            assert PledgeStatus(record[7]) is status, f"pledge {pledge_id}: {record[7]}"
            if record[7] == PledgeStatus.LIVE:
                assert self._issued(p.token, now), f"pledge {pledge_id} live, not in force"
                live_by_token[int(record[0])] += 1
                assert after[int(record[0])][1] == pledge_id
        assert next(values)[7] == PledgeStatus.NONE
        # never two live pledges on one certificate, and livePledgeOf names the live one
        for token in tokens:
            assert live_by_token[token] == (1 if after[token][1] else 0)

        records = {i: next(values) for i in licence_ids}
        live_now = {i: bool(next(values)) for i in licence_ids}
        for token in tokens:
            listed = next(values)
            assert list(listed) == [i for i in licence_ids if self.licences[i].token == token]
        fields = ["tokenId", "parentId", "licensor", "grantedAt", "start", "licensee", "end"]
        fields += ["right", "exclusive", "sublicensable", "status", "purposes", "territories"]
        chain_lic = {i: dict(zip(fields, records[i], strict=False)) for i in licence_ids}
        for licence_id in licence_ids:
            c, lic = chain_lic[licence_id], self.licences[licence_id]
            assert (c["tokenId"], c["parentId"], c["licensee"]) == (
                lic.token,
                lic.parent,
                lic.licensee,
            )
            assert (c["status"] == LicenceStatus.ACTIVE) == lic.active
            assert live_now[licence_id] == self._live(licence_id, now), f"isLive({licence_id})"
            if c["parentId"]:
                # no sublicence outlives or outscopes its parent
                up = chain_lic[c["parentId"]]
                assert up["start"] <= c["start"]
                assert c["end"] <= up["end"]
                assert c["purposes"] & ~up["purposes"] == 0
                assert c["territories"] & ~up["territories"] == 0
                assert c["right"] == up["right"]
                assert up["exclusive"] or not c["exclusive"]
                assert up["sublicensable"]
                assert not live_now[licence_id] or live_now[c["parentId"]]
        # one level, one right: a live exclusive licence has no live sibling
        levels: dict[tuple[int, int, int], list[int]] = collections.defaultdict(list)
        for licence_id in licence_ids:
            if live_now[licence_id]:
                c = chain_lic[licence_id]
                levels[(c["tokenId"], c["parentId"], c["right"])].append(licence_id)
        for siblings in levels.values():
            if any(chain_lic[i]["exclusive"] for i in siblings):
                assert len(siblings) == 1, f"live exclusive licence with siblings: {siblings}"

        # holder changes: pledged only by consent, enforcement or court order; frozen only by court
        for token in tokens:
            owner_before, pledge_before, frozen_before = self.before[token]
            if after[token][0] == owner_before:
                continue
            move = self.moves.get(token)
            assert move is not None, f"token {token} moved without an action"
            if frozen_before:
                assert move.cause == "court", f"frozen token {token} moved by {move.cause}"
            if pledge_before:
                assert move.cause in ("court", "enforce") or "PledgeConsentUsed" in move.events, (
                    f"pledged token {token} moved by {move.cause} without consent"
                )
            assert "CertificateTransferred" in move.events
            assert "Transfer" in move.events
        self.moves.clear()
        self.before = after

    @invariant()
    def an_approval_is_used_at_most_once(self) -> None:
        for key, used in self.approvals_used.items():
            assert used <= self.approvals_given[key], f"approval {key} used {used} times"
        spent = [(3, to) for (token, to, _) in self.approvals_used if token == 3]
        expiries = self.rights.batch(
            [(AGENT, "transferApprovalExpiry", [3, ACCOUNTS_BY_LOWER[to]]) for _, to in spent]
        )
        for (token, to), expiry in zip(spent, expiries, strict=True):
            unused = self.approvals.get((token, ACCOUNTS_BY_LOWER[to]))
            assert int(expiry) == (0 if unused is None else unused[1]), f"approval {to}"


@pytest.fixture
def ctx(
    chain: ChainClient, deployment: DeploymentManifest, test_settings: Settings
) -> RegistryContext:
    return open_context(chain, deployment, test_settings)


def test_rights_state_machine(
    ctx: RegistryContext, chain: ChainClient, deployment: DeploymentManifest
) -> None:
    for account in ACCOUNTS.values():
        fund(chain, account.address)
    ids = issue_certificates(
        ctx,
        chain,
        [
            CertificateSpec(H1, (HOLDING, PROCESSING_USE, PRODUCT_OPERATION)),
            CertificateSpec(H2, (HOLDING, PROCESSING_USE)),
            CertificateSpec(H3, (HOLDING, PROCESSING_USE), classification="important"),
        ],
        fp_base=0x70,
    )
    assert ids == TOKENS
    rights = Rights(chain, deployment, governor())
    rights.grant_regulator(REGULATOR)
    rights.grant_regulator(REGULATOR2)
    rights.record_domestic(DOMESTIC, REGULATOR)  # NOWHERE keeps none: moves to it fail closed
    rights.set_country(ABROAD.address, "HK", REGULATOR)
    tokens = {}
    for token in ids:
        holder, _, level, valid_until, mask = rights.state(token)
        tokens[token] = TokenM(holder, valid_until, mask, important=level == 1)
    lattice = min(t.valid_until for t in tokens.values())
    assert max(t.valid_until for t in tokens.values()) - lattice < 60
    # start half-way between two lattice points
    now = rights.now()
    travel(chain, lattice + ((now - lattice) // DAY) * DAY + DAY + DAY // 2 - now)

    RightsMachine.env = Env(rights=rights, tokens=tokens, lattice=lattice)
    OUTCOMES.clear()
    try:
        run_state_machine_as_test(
            RightsMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=30,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        RightsMachine.env = None
    explored = sorted(OUTCOMES.items())
    print("\n".join(f"{rule:>18} {outcome:<34} {n}" for (rule, outcome), n in explored))
    # the run reached the interesting places, not only refusals
    for wanted in (
        "grantLicence",
        "grantSublicence",
        "transfer",
        "registerPledge",
        "releasePledge",
        "courtOrderTransfer",
        "freeze",
        "approveTransfer",
        "approvalUsed",
        "withdrawConsent",
    ):
        assert OUTCOMES[(wanted, "ok")] > 0, f"no {wanted} went through: {explored}"
    assert len(OUTCOMES) >= 30, f"few distinct outcomes: {explored}"
