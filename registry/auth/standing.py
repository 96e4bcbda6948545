"""What the chain says an account is: its roles and its standing in one registration, pledge,
licence, objection or valuation, read at request time.

Roles come from the contracts (``RegistryAuthority``: the admin, regulators, pausers and
registrars' staff, retired registrars' staff counting for nothing; ``ValuationRegistry``:
accredited appraisers). Standing comes from the state it is about: the holder of a certificate,
the registrar handling an application, the pledgee of a pledge, the parties of a licence. The
service never keeps a copy: every answer is read from the chain as of one block, and the roles
of an account are cached for that block only (a new block reads them again).

While the chain cannot be reached, a read (``unreachable_ok``) may be authorised by the roles the
chain gave the account at the latest block they were read at, if that was at most
:data:`STALE_ROLES_SECONDS` ago: reads served from the mirror (provenance, statistics, the
access log) go on through a sick node, as of a block the chain judged. Anything else waits for the
chain (503 ``chain_unreachable``)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from threading import Lock
from time import monotonic

from registry.chain.client import ChainClient
from registry.errors import ChainUnreachableError
from registry.registration.service import (
    PAUSER_ROLE,
    REGULATOR_ROLE,
    RegistrationService,
)
from registry.rights.service import RightsService
from registry.valuation.service import ValuationService

#: Accounts whose roles are remembered for the current block.
_CACHE_SIZE = 4096

#: Seconds the roles last read from the chain still authorise a read while the chain cannot be
#: reached.
STALE_ROLES_SECONDS = 300.0


class Role(StrEnum):
    """An on-chain role an account holds on this registry."""

    ADMIN = "admin"
    REGULATOR = "regulator"
    PAUSER = "pauser"
    REGISTRAR_STAFF = "registrar-staff"
    APPRAISER = "appraiser"


@dataclass(frozen=True)
class Roles:
    """The roles of ``address`` as of ``block``; ``registrar_code`` is the active registrar the
    account is staff of (``None`` for none, or one retired)."""

    address: str
    block: int
    roles: frozenset[Role]
    registrar_code: int | None

    def has(self, role: Role) -> bool:
        return role in self.roles


class Standing:
    """Reads roles and standing from the chain (roles cached per block)."""

    def __init__(
        self,
        client: ChainClient,
        registrations: RegistrationService,
        rights: RightsService,
        valuations: ValuationService,
    ) -> None:
        self._client = client
        self._registrations = registrations
        self._rights = rights
        self._valuations = valuations
        self._cache: OrderedDict[tuple[int, str], Roles] = OrderedDict()
        #: Each account's roles as last read from the chain, and when (monotonic seconds).
        self._latest: OrderedDict[str, tuple[Roles, float]] = OrderedDict()
        self._lock = Lock()

    def roles(self, address: str, *, unreachable_ok: bool = False) -> Roles:
        """The roles of ``address`` as of the chain's head block.

        With ``unreachable_ok`` (a read), a chain that cannot be reached gives the roles last
        read, if that was at most :data:`STALE_ROLES_SECONDS` ago; otherwise (and always without
        it) :class:`ChainUnreachableError`."""
        try:
            return self._roles_now(address)
        except ChainUnreachableError:
            if unreachable_ok:
                with self._lock:
                    latest = self._latest.get(address.lower())
                if latest is not None and monotonic() - latest[1] <= STALE_ROLES_SECONDS:
                    return latest[0]
            raise

    def _roles_now(self, address: str) -> Roles:
        block = self._client.head()
        key = (block, address.lower())
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = self._read_roles(address, block)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            self._latest[key[1]] = (found, monotonic())  # the chain's word, confirmed now
            self._latest.move_to_end(key[1])
            while len(self._latest) > _CACHE_SIZE:
                self._latest.popitem(last=False)
        return found

    def _read_roles(self, address: str, block: int) -> Roles:
        service = self._registrations
        roles: set[Role] = set()
        if service.is_admin(address, block):
            roles.add(Role.ADMIN)
        if service.has_role(REGULATOR_ROLE, address, block):
            roles.add(Role.REGULATOR)
        if service.has_role(PAUSER_ROLE, address, block):
            roles.add(Role.PAUSER)
        code: int | None = service.registrar_code_of(address, block) or None
        if code is not None and not service.registrar_policy(code).active:
            code = None  # a retired registrar's staff can do nothing
        if code is not None:
            roles.add(Role.REGISTRAR_STAFF)
        if self._valuations.appraiser(address, block).accredited:
            roles.add(Role.APPRAISER)
        return Roles(address, block, frozenset(roles), code)

    # --- standing in one thing ----------------------------------------------------------------

    def application_parties(self, reg_id: int) -> tuple[str, int]:
        """``(holder, registrar code)`` of application (and certificate) ``reg_id``: its
        applicant or holder, and the registrar handling it, from one read."""
        registration = self._registrations.get(reg_id)
        return registration.holder, registration.registrar_code

    def registrar_of_application(self, reg_id: int) -> int:
        """The registrar handling application (and certificate) ``reg_id``."""
        return self.application_parties(reg_id)[1]

    def registrar_of_objection(self, objection_id: int) -> int:
        objection = self._registrations.objection(objection_id)
        return self.registrar_of_application(objection.registration_id)

    def holder_of_certificate(self, number: str) -> str:
        """The current holder of certificate ``number`` (404 if there is none)."""
        return self._rights.holder_of(self._rights.token_id_of(number))

    def pledgee_of(self, pledge_id: int) -> str:
        return self._rights.pledge(pledge_id).pledgee

    def licence_parties(self, licence_id: int) -> tuple[str, str]:
        """``(licensor, licensee)`` of licence ``licence_id``."""
        licence = self._rights.licence(licence_id)
        return licence.licensor, licence.licensee

    def appraiser_of(self, valuation_id: int) -> str:
        return self._valuations.valuation(valuation_id).appraiser
