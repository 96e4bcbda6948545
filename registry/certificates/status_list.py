"""W3C Bitstring Status List v1.0 for certificates: which lists exist and what a credential's
``credentialStatus`` entries point at.

Every registrar publishes four lists per page of 131,072 token ids (``statusListIndex`` = token id
modulo that size, page = token id divided by it), each a status list credential signed by the
registrar's account and served by the app (``/api/v1/status-lists/{code}/{list}/{page}``):

* ``revocation`` (1 bit): the certificate was cancelled or revoked;
* ``suspension`` (1 bit): the certificate is frozen by a regulator or court;
* ``lifecycle`` (``message``, 2 bits): in force, expired, cancelled, revoked;
* ``encumbrances`` (``message``, 4 bits of flags): frozen (1), pledged (2), under objection (4),
  exclusively licensed (8).

A verifier that knows only revocation and suspension learns that it must not rely on a revoked,
cancelled or frozen certificate; one that reads status messages learns the whole standing,
pledges included. The values are :func:`entry_value` of the certificate's
:class:`~registry.certificates.standing.Standing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.certificates.standing import (
    ENCUMBRANCE_LABELS,
    LIFECYCLE_LABELS,
    Encumbrance,
    Lifecycle,
    Standing,
)
from registry.certificates.urls import status_list_url

#: Entries per list page (the specification's minimum list length, for group privacy).
STATUS_LIST_ENTRIES = 131_072
ENTRY_TYPE = "BitstringStatusListEntry"

_LIFECYCLES = list(Lifecycle)
_ENCUMBRANCES = list(Encumbrance)


def _label(zh: str, en: str) -> str:
    return f"{zh} {en}"


def _encumbrance_message(value: int) -> str:
    present = [e for i, e in enumerate(_ENCUMBRANCES) if value & (1 << i)]
    if not present:
        return _label("无权利负担", "no encumbrance")
    return _label(
        "、".join(ENCUMBRANCE_LABELS[e][0] for e in present),
        ", ".join(ENCUMBRANCE_LABELS[e][1] for e in present),
    )


@dataclass(frozen=True)
class StatusList:
    """One kind of list: its name in URLs, ``statusPurpose``, ``statusSize`` and the message of
    each value (index = value)."""

    name: str
    purpose: str
    size: int
    messages: tuple[str, ...]

    def entry_messages(self) -> list[dict[str, str]]:
        return [{"status": hex(v), "message": m} for v, m in enumerate(self.messages)]


STATUS_LISTS: dict[str, StatusList] = {
    s.name: s
    for s in (
        StatusList(
            "revocation",
            "revocation",
            1,
            (
                _label("未注销或撤销", "not cancelled or revoked"),
                _label("已注销或撤销", "cancelled or revoked"),
            ),
        ),
        StatusList(
            "suspension",
            "suspension",
            1,
            (_label("未冻结", "not frozen"), _label("已冻结", "frozen by a regulator or court")),
        ),
        StatusList(
            "lifecycle",
            "message",
            2,
            tuple(_label(*LIFECYCLE_LABELS[lc]) for lc in _LIFECYCLES),
        ),
        StatusList(
            "encumbrances",
            "message",
            len(_ENCUMBRANCES),
            tuple(_encumbrance_message(v) for v in range(1 << len(_ENCUMBRANCES))),
        ),
    )
}


def entry_value(standing: Standing, list_name: str) -> int:
    """The value of a certificate with ``standing`` in list ``list_name``."""
    if list_name == "revocation":
        return int(standing.lifecycle in (Lifecycle.CANCELLED, Lifecycle.REVOKED))
    if list_name == "suspension":
        return int(standing.frozen)
    if list_name == "lifecycle":
        return _LIFECYCLES.index(standing.lifecycle)
    if list_name == "encumbrances":
        return sum(1 << _ENCUMBRANCES.index(e) for e in standing.encumbrances)
    raise KeyError(list_name)


def list_position(token_id: int) -> tuple[int, int]:
    """``(page, statusListIndex)`` of a token id."""
    return divmod(token_id, STATUS_LIST_ENTRIES)


def status_entries(base_url: str, registrar_code: int, token_id: int) -> list[dict[str, Any]]:
    """The ``credentialStatus`` of a certificate credential: one entry per list, same keys in
    every entry (``statusMessage`` is given for 1-bit lists too)."""
    page, index = list_position(token_id)
    entries: list[dict[str, Any]] = []
    for status_list in STATUS_LISTS.values():
        url = status_list_url(base_url, registrar_code, status_list.name, page)
        entries.append(
            {
                "id": f"{url}#{index}",
                "type": ENTRY_TYPE,
                "statusPurpose": status_list.purpose,
                "statusListIndex": str(index),
                "statusListCredential": url,
                "statusSize": status_list.size,
                "statusMessage": status_list.entry_messages(),
            }
        )
    return entries
