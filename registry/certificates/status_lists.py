"""The status list credentials a certificate credential's ``credentialStatus`` points at
(:func:`registry.certificates.status_list.status_entries`), made from the SQL mirror and signed
by the registrar's account.

A list (registrar code, list name, page) holds, for every certificate of that registrar whose
token id falls in the page, :func:`~registry.certificates.status_list.entry_value` of its
:class:`~registry.certificates.standing.Standing`; every other entry is 0. The standings come from
the mirror at its indexed head (:func:`registry.mirror.standings_at_head`: one read for the whole
page, never one chain call per certificate), judged at the time of the head block, so the list
is as current as the indexer and states the block it is as of (``asOfBlock``, ``asOfTime``).
Nothing keeps a list once made: every request reads the mirror's head again, so a list never
outlives a newly indexed block (HTTP caches hold it ``ttl`` seconds at most).

The credential is a W3C VC 2.0 ``BitstringStatusListCredential`` issued by the registrar's
``did:pkh`` (the issuer of its certificates' credentials), valid from the as-of time for ``ttl``
seconds from now, and signed like the certificate credentials (EIP-712,
:mod:`registry.certificates.vc`) with the registrar key the service holds
(:meth:`CertificateService.registrar_signer`: 409 ``registrar_key_unavailable`` otherwise).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from registry.certificates.bitstring import encoded_list
from registry.certificates.credential import signed_by_registrar
from registry.certificates.labels import iso_utc
from registry.certificates.service import CertificateService
from registry.certificates.standing import Standing, standing_of_facts
from registry.certificates.status_list import (
    STATUS_LIST_ENTRIES,
    STATUS_LISTS,
    StatusList,
    entry_value,
)
from registry.certificates.urls import (
    DAREG_CREDENTIALS_V1,
    W3C_CREDENTIALS_V2,
    status_list_url,
    verify_guide_url,
)
from registry.certificates.vc import (
    ACCOUNT_FRAGMENT,
    CredentialFormatError,
    check_vc,
    did_pkh,
    parse_did_pkh,
    registry_domain,
    sign_vc,
)
from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock
from registry.domain.numbers import SQL_INTEGER_MAX
from registry.errors import BlockNotFoundError, ChainError, StatusListNotFoundError
from registry.mirror import standings_at_head
from registry.registration.service import RegistrationService

LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
#: The EIP-712 domain's name and version of status list credentials (chain id and the registry
#: contract complete it), and the signed struct's type.
EIP712_NAME = "dareg.BitstringStatusListCredential"
EIP712_VERSION = "1"
PRIMARY_TYPE = LIST_CREDENTIAL_TYPE
LIST_CONTEXTS = [W3C_CREDENTIALS_V2, DAREG_CREDENTIALS_V1]


def eip712_domain(chain_id: int, registry_contract: str) -> dict[str, Any]:
    """The signature's domain: bound to the chain and to the registry contract."""
    return registry_domain(EIP712_NAME, EIP712_VERSION, chain_id, registry_contract)


def verify_status_list(
    credential: dict[str, Any],
    registry_contract: str,
    registrations: RegistrationService | None = None,
) -> tuple[bool, str]:
    """Check a status list credential offline: its shape (contexts, types, the signature domain
    of ``registry_contract`` on the issuer's chain), then that the issuer's account signed it
    (:func:`~registry.certificates.vc.check_vc`). With ``registrations`` (a chain connection),
    also that the signer is, now, an account of the registrar code the issuer names. Returns
    ``(ok, reason)``."""
    try:
        if not isinstance(credential, dict):
            raise CredentialFormatError("the credential is not a JSON object")
        if credential.get("@context") != LIST_CONTEXTS:
            raise CredentialFormatError(f"@context must be {LIST_CONTEXTS}")
        if credential.get("type") != ["VerifiableCredential", LIST_CREDENTIAL_TYPE]:
            raise CredentialFormatError(
                f"type must be [VerifiableCredential, {LIST_CREDENTIAL_TYPE}]"
            )
        subject, issuer = credential.get("credentialSubject"), credential.get("issuer")
        if not isinstance(subject, dict) or subject.get("type") != LIST_TYPE:
            raise CredentialFormatError(f"credentialSubject.type must be {LIST_TYPE}")
        if not isinstance(issuer, dict):
            raise CredentialFormatError("issuer must be an object with its registrarCode")
        code = issuer.get("registrarCode")
        if not isinstance(code, int) or isinstance(code, bool):
            raise CredentialFormatError("issuer.registrarCode is missing or not an integer")
        chain_id, _ = parse_did_pkh(issuer.get("id"))
        proof = credential.get("proof")
        definition = proof.get("eip712") if isinstance(proof, dict) else None
        if not isinstance(definition, dict) or definition.get("domain") != eip712_domain(
            chain_id, registry_contract
        ):
            raise CredentialFormatError("proof.eip712.domain is not this registry's list domain")
        if definition.get("primaryType") != PRIMARY_TYPE:
            raise CredentialFormatError(f"proof.eip712.primaryType must be {PRIMARY_TYPE}")
        signer = check_vc(credential)
    except CredentialFormatError as exc:
        return False, str(exc)
    return signed_by_registrar(signer, code, registrations)


@dataclass(frozen=True)
class StatusListState:
    """One list as of the mirror's indexed head ``as_of_block`` (time ``as_of_time``): the
    standing of each certificate it covers (by token id) and its ``encodedList``."""

    registrar_code: int
    status_list: StatusList
    page: int
    as_of_block: int
    as_of_time: datetime
    standings: dict[int, Standing]
    encoded_list: str

    def value(self, token_id: int) -> int:
        """The entry of ``token_id`` (0 for a token the list does not cover)."""
        found = self.standings.get(token_id)
        return 0 if found is None else entry_value(found, self.status_list.name)


@dataclass(frozen=True, slots=True, eq=False)
class StatusListService:
    """Makes and signs the status list credentials of the registrars' certificates."""

    engine: Engine
    client: ChainClient
    chain_id: int
    certificates: CertificateService
    clock: ChainClock
    _: KW_ONLY
    public_base_url: str
    ttl: int
    """Seconds a list credential stays valid and may be cached (``DAREG_STATUS_LIST_TTL``)."""

    def _head_time(self, number: int, _hash: str) -> datetime:
        """The time of block ``number``, the mirror's indexed head."""
        try:
            header = self.client.block(number)
        except BlockNotFoundError as exc:  # the node is behind its own mirror: not the caller's
            raise ChainError(
                f"the chain has no block {number}, which the mirror has indexed (the node was "
                "reset or reorganised); try again once the indexer has caught up",
                block=number,
            ) from exc
        return datetime.fromtimestamp(header.timestamp, tz=UTC)

    def state(self, registrar_code: int, list_name: str, page: int) -> StatusListState:
        """List ``list_name`` of registrar ``registrar_code``, page ``page``, as of the mirror's
        indexed head. :class:`~registry.errors.StatusListNotFoundError` for an unknown list
        name, a registrar code never configured, or a page beyond every registration id."""
        status_list = STATUS_LISTS.get(list_name)
        if status_list is None:
            raise StatusListNotFoundError(
                f"no status list {list_name[:40]!r}; the lists are {', '.join(STATUS_LISTS)}",
                list=list_name[:40],
            )
        first = page * STATUS_LIST_ENTRIES
        if first > SQL_INTEGER_MAX:
            raise self._no_page(registrar_code, page)
        last = min(first + STATUS_LIST_ENTRIES - 1, SQL_INTEGER_MAX)
        mirrored = standings_at_head(
            self.engine, self.chain_id, registrar_code, first, last, self._head_time
        )
        if not mirrored.registrar_known:
            raise StatusListNotFoundError(
                f"no registrar {registrar_code} is configured on this registry (as far as it "
                "has indexed the chain)",
                registrar_code=registrar_code,
            )
        highest = mirrored.last_registration_id or 0
        if mirrored.indexed_head is None or mirrored.at_time is None or first > highest:
            raise self._no_page(registrar_code, page)
        block, time = mirrored.indexed_head, mirrored.at_time
        standings = {
            s.token_id: standing_of_facts(
                s.effective_status,
                open_objections=s.open_objections,
                frozen=s.frozen,
                pledged=s.pledged,
                exclusively_licensed=s.exclusively_licensed,
                as_of_block=block,
                as_of_time=time,
            )
            for s in mirrored.certificates
        }
        values = (
            (token % STATUS_LIST_ENTRIES, entry_value(found, list_name))
            for token, found in standings.items()
        )
        return StatusListState(
            registrar_code=registrar_code,
            status_list=status_list,
            page=page,
            as_of_block=block,
            as_of_time=time,
            standings=standings,
            encoded_list=encoded_list(
                ((index, value) for index, value in values if value), status_list.size
            ),
        )

    @staticmethod
    def _no_page(registrar_code: int, page: int) -> StatusListNotFoundError:
        return StatusListNotFoundError(
            f"registrar {registrar_code} has no status list page {page}: no registration's "
            f"token id is in it (page = token id // {STATUS_LIST_ENTRIES})",
            registrar_code=registrar_code,
            page=page,
        )

    def unsigned_credential(
        self, state: StatusListState, issuer: str, now: datetime
    ) -> dict[str, Any]:
        """The list credential of ``state`` issued by ``issuer`` (a ``did:pkh``), valid from
        the as-of time until ``ttl`` seconds after ``now``, without its proof."""
        url = status_list_url(
            self.public_base_url, state.registrar_code, state.status_list.name, state.page
        )
        registrar_name = self.certificates.registrations.registrars.name(state.registrar_code)
        issuer_object: dict[str, Any] = {"id": issuer}
        if registrar_name is not None:
            issuer_object["name"] = registrar_name
        issuer_object["registrarCode"] = state.registrar_code
        until = max(now, state.as_of_time) + timedelta(seconds=self.ttl)
        return {
            "@context": list(LIST_CONTEXTS),
            "id": url,
            "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
            "issuer": issuer_object,
            "validFrom": iso_utc(state.as_of_time),
            "validUntil": iso_utc(until),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": LIST_TYPE,
                "statusPurpose": state.status_list.purpose,
                "encodedList": state.encoded_list,
                "ttl": self.ttl * 1000,  # milliseconds, as the specification counts it
                "asOfBlock": state.as_of_block,
                "asOfTime": iso_utc(state.as_of_time),
            },
            "verificationGuide": verify_guide_url(self.public_base_url),
        }

    def eip712_domain(self) -> dict[str, Any]:
        return eip712_domain(self.chain_id, self.certificates.registrations.contract_address)

    def credential(self, registrar_code: int, list_name: str, page: int) -> dict[str, Any]:
        """The signed status list credential: :meth:`state` as of the mirror's indexed head,
        signed by the registrar's key this service holds (409 ``registrar_key_unavailable``
        otherwise, after the list itself was found)."""
        state = self.state(registrar_code, list_name, page)
        signer = self.certificates.registrar_signer(registrar_code, state.as_of_block)
        issuer = did_pkh(self.chain_id, signer.address)
        now = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        return sign_vc(
            self.unsigned_credential(state, issuer, now),
            signer,
            created=now,
            domain=self.eip712_domain(),
            primary_type=PRIMARY_TYPE,
            verification_method=issuer + ACCOUNT_FRAGMENT,
        )
