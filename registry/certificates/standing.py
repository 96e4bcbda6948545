"""A certificate's effective standing as of one block: the one computation every document shows.

The lifecycle (in force, expired, cancelled, revoked) comes from the registry contract's effective
status; the encumbrances (frozen by a regulator or court, pledged for a live loan, under an open
objection, exclusively licensed) from the transfer agent, the licence registry and the
registration's objection count, all read at the same block. The JSON certificate, the credential
(and its status lists), the PDF, the public page's headline, the wallet metadata and the
financier's verification all take their standing from here, so none can call a frozen or pledged
certificate simply "valid".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from registry.domain.registration import Registration, Status


class Lifecycle(StrEnum):
    """Where the certificate stands in its life, as of a block."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REVOKED = "revoked"


class Encumbrance(StrEnum):
    """What restricts an issued certificate, as of a block (in this order everywhere)."""

    FROZEN = "frozen"
    PLEDGED = "pledged"
    UNDER_OBJECTION = "under_objection"
    EXCLUSIVELY_LICENSED = "exclusively_licensed"


LIFECYCLE_LABELS: dict[Lifecycle, tuple[str, str]] = {
    Lifecycle.IN_FORCE: ("有效", "In force"),
    Lifecycle.EXPIRED: ("已过期", "Expired"),
    Lifecycle.CANCELLED: ("已注销", "Cancelled"),
    Lifecycle.REVOKED: ("已撤销", "Revoked"),
}

ENCUMBRANCE_LABELS: dict[Encumbrance, tuple[str, str]] = {
    Encumbrance.FROZEN: ("已冻结", "frozen"),
    Encumbrance.PLEDGED: ("已质押", "pledged"),
    Encumbrance.UNDER_OBJECTION: ("有异议", "under objection"),
    Encumbrance.EXCLUSIVELY_LICENSED: ("已独占许可", "exclusively licensed"),
}

_LIFECYCLE_OF_STATUS = {
    Status.ISSUED: Lifecycle.IN_FORCE,
    Status.EXPIRED: Lifecycle.EXPIRED,
    Status.CANCELLED: Lifecycle.CANCELLED,
    Status.REVOKED: Lifecycle.REVOKED,
}


class Standing(BaseModel):
    """The certificate's effective standing as of ``as_of_block`` (time ``as_of_time``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lifecycle: Lifecycle = Field(description="in_force, expired, cancelled or revoked")
    encumbrances: list[Encumbrance] = Field(
        description="frozen, pledged, under_objection, exclusively_licensed (in this order)"
    )
    as_of_block: int = Field(description="the block every fact of this standing was read at")
    as_of_time: datetime = Field(description="that block's time (UTC)")

    @property
    def in_force(self) -> bool:
        return self.lifecycle is Lifecycle.IN_FORCE

    @property
    def frozen(self) -> bool:
        return Encumbrance.FROZEN in self.encumbrances

    @property
    def pledged(self) -> bool:
        return Encumbrance.PLEDGED in self.encumbrances

    @property
    def under_objection(self) -> bool:
        return Encumbrance.UNDER_OBJECTION in self.encumbrances

    @property
    def exclusively_licensed(self) -> bool:
        return Encumbrance.EXCLUSIVELY_LICENSED in self.encumbrances

    @property
    def clear(self) -> bool:
        """In force with nothing restricting it: the only standing shown as plainly valid."""
        return self.in_force and not self.encumbrances

    @property
    def headline_zh(self) -> str:
        return " · ".join(
            [LIFECYCLE_LABELS[self.lifecycle][0]]
            + [ENCUMBRANCE_LABELS[e][0] for e in self.encumbrances]
        )

    @property
    def headline_en(self) -> str:
        return " · ".join(
            [LIFECYCLE_LABELS[self.lifecycle][1]]
            + [ENCUMBRANCE_LABELS[e][1] for e in self.encumbrances]
        )

    @property
    def headline(self) -> str:
        """One bilingual line, e.g. ``有效 · 已冻结 In force · frozen``."""
        return f"{self.headline_zh} {self.headline_en}"

    @property
    def severity(self) -> str:
        """``ok`` (in force, unencumbered), ``caution`` (in force but encumbered) or ``bad``
        (ended, or frozen: nothing may be done with it)."""
        if not self.in_force or self.frozen:
            return "bad"
        return "caution" if self.encumbrances else "ok"


def lifecycle_of(status: Status) -> Lifecycle:
    """The lifecycle of an issued certificate's effective status (``status`` as the contract's
    ``statusOf`` gives it, with ``expired`` derived)."""
    try:
        return _LIFECYCLE_OF_STATUS[status]
    except KeyError:
        raise ValueError(f"a registration in status {status.value} has no certificate") from None


def standing(
    registration: Registration,
    *,
    frozen: bool,
    pledged: bool,
    exclusively_licensed: bool,
    as_of_block: int,
    as_of_time: datetime,
) -> Standing:
    """The standing of an issued ``registration`` from facts read at ``as_of_block``."""
    return standing_of_facts(
        registration.status,
        open_objections=registration.open_objections,
        frozen=frozen,
        pledged=pledged,
        exclusively_licensed=exclusively_licensed,
        as_of_block=as_of_block,
        as_of_time=as_of_time,
    )


def standing_of_facts(
    status: Status,
    *,
    open_objections: int,
    frozen: bool,
    pledged: bool,
    exclusively_licensed: bool,
    as_of_block: int,
    as_of_time: datetime,
) -> Standing:
    """The standing of an issued certificate whose effective ``status`` and open objection count
    are given (from the chain, or from the mirror for the status lists), with the other facts
    read at ``as_of_block``."""
    flags: Iterable[tuple[Encumbrance, bool]] = (
        (Encumbrance.FROZEN, frozen),
        (Encumbrance.PLEDGED, pledged),
        (Encumbrance.UNDER_OBJECTION, open_objections > 0),
        (Encumbrance.EXCLUSIVELY_LICENSED, exclusively_licensed),
    )
    return Standing(
        lifecycle=lifecycle_of(status),
        encumbrances=[e for e, on in flags if on],
        as_of_block=as_of_block,
        as_of_time=as_of_time,
    )
