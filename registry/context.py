"""The registry's services, wired once: one object holding the live services.

The CLI and the API both open a :class:`RegistryContext` from :class:`Settings`
(:meth:`RegistryContext.open`; ``dareg up`` and ``dareg index`` through the stack's
``cli.stack.start``). Both end in :meth:`RegistryContext.connect`, the one place that builds it.
Every service is constructed here with only the pieces it uses (the chain client, the
deployment's addresses, the database engine or document store, the settings values it needs,
other services), never with the context itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from registry.artifacts import artifacts_hash, load_client_artifacts
from registry.audit.access_log import AccessLog
from registry.audit.service import AuditService
from registry.auth.service import AuthService
from registry.auth.standing import Standing
from registry.certificates.service import CertificateService
from registry.certificates.signing_key import DocumentKeys, document_keys
from registry.certificates.status_lists import StatusListService
from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account
from registry.chain.clock import ChainClock, WallClock
from registry.chain.deploy import verify_deployment
from registry.chain.journal import Journal
from registry.db.engine import make_engine
from registry.db.writes import LISTENER as STAGED_WRITES
from registry.db.writes import flush_after_send
from registry.documents import DocumentStore, RegistrarDirectory
from registry.domain.deployment import DeploymentManifest
from registry.domain.inputs import checked_address
from registry.errors import ConfigurationError, DeploymentError
from registry.evidence.service import EvidenceService
from registry.identities import IdentityStore
from registry.keys import ServiceKeySource, service_account
from registry.registration.service import RegistrationService
from registry.relay.quota import RelayQuota
from registry.relay.service import RelayService
from registry.rights.service import RightsService
from registry.settings import Settings
from registry.valuation.service import ValuationService
from registry.verification.service import VerificationService

#: Chain ids of local development nodes (anvil, Hardhat), whose accounts are public test keys.
DEV_CHAIN_IDS = frozenset({31337})


def make_client(settings: Settings) -> ChainClient:
    """The chain client of ``settings``; on the embedded chain it journals every transaction
    it sends (``var/chain/journal.jsonl``, docs/durability.md) so a crash of anvil loses none."""
    artifacts = load_client_artifacts(settings.artifacts_dir)
    journal = Journal(settings.chain_journal_path) if settings.embedded else None
    return ChainClient(
        settings.effective_rpc_url,
        artifacts,
        timeout=settings.rpc_timeout,
        nonce_dir=settings.nonce_dir,
        receipt_timeout=settings.tx_receipt_timeout,
        replacements=settings.tx_replacements,
        journal=journal,
    )


def operator_account(settings: Settings, chain_id: int) -> LocalAccount | None:
    """The account that sends the service's transactions, if one is configured
    (``DAREG_OPERATOR_KEY`` or ``DAREG_OPERATOR_KEYSTORE``, see :func:`service_account`)."""
    configured = service_account(ServiceKeySource.operator(settings))
    if configured is not None:
        return configured
    if chain_id in DEV_CHAIN_IDS:
        return dev_account(0)
    return None


#: The development account the demo binds as staff of registrar 440 and the embedded chain's
#: service signs certificate credentials with (never the operator, which holds no role).
DEV_CREDENTIAL_INDEX = 11


def credential_account(settings: Settings, chain_id: int) -> LocalAccount | None:
    """The registrar staff key the service signs certificate credentials with, if any
    (``DAREG_CREDENTIAL_KEY`` or ``DAREG_CREDENTIAL_KEYSTORE``)."""
    configured = service_account(ServiceKeySource.credential(settings))
    if configured is not None:
        return configured
    if chain_id in DEV_CHAIN_IDS:
        return dev_account(DEV_CREDENTIAL_INDEX)
    return None


def admin_address(settings: Settings, chain_id: int) -> str | None:
    """The account the registry is deployed with as its admin, if one is configured."""
    if settings.admin_address is not None:
        return checked_address(settings.admin_address, "DAREG_ADMIN_ADDRESS")
    if chain_id in DEV_CHAIN_IDS:
        return dev_account(DEV_ADMIN_INDEX).address
    return None


def current_artifacts_hash(settings: Settings) -> str:
    return artifacts_hash(settings.artifacts_dir)


@dataclass
class RegistryContext:
    settings: Settings
    client: ChainClient
    manifest: DeploymentManifest
    engine: Engine
    operator_account: LocalAccount | None
    credential_account: LocalAccount | None = None
    #: The wall clock behind :attr:`clock` (tests inject one they move).
    wall_clock: WallClock = time.time
    evidence: EvidenceService = field(init=False)
    registrations: RegistrationService = field(init=False)
    rights: RightsService = field(init=False)
    relay: RelayService = field(init=False)
    relay_quota: RelayQuota = field(init=False)
    clock: ChainClock = field(init=False)
    valuations: ValuationService = field(init=False)
    verification: VerificationService = field(init=False)
    certificates: CertificateService = field(init=False)
    #: The X.509 keys PDFs are signed with (configured, or self-signed on a development chain).
    document_keys: DocumentKeys = field(init=False)
    status_lists: StatusListService = field(init=False)
    audit: AuditService = field(init=False)
    access_log: AccessLog = field(init=False)
    auth: AuthService = field(init=False)
    standing: Standing = field(init=False)

    def __post_init__(self) -> None:
        self.access_log = AccessLog(self.engine, self.client, self.manifest)
        self.access_log.listen()
        # what a request staged (its documents) is written once its transaction is mined
        self.client.add_send_listener(STAGED_WRITES, flush_after_send)
        # "now" for every deadline: the wall clock, never earlier than the head block's time
        self.clock = ChainClock(self.client, self.wall_clock)
        # the one gate of everything the operator pays for on someone's behalf
        self.relay_quota = RelayQuota(
            self.engine,
            per_address=self.settings.relay_quota_per_address,
            global_limit=self.settings.relay_quota_global,
        )
        self.evidence = EvidenceService(
            self.client, self.manifest, self.relay_quota, clock=self.clock
        )
        documents = DocumentStore(self.engine)
        self.registrations = RegistrationService(
            self.client,
            self.manifest,
            documents,
            RegistrarDirectory(self.engine),
            IdentityStore(self.engine),
            self.relay_quota,
            clock=self.clock,
        )
        self.rights = RightsService(
            self.client, self.manifest, documents, self.relay_quota, clock=self.clock
        )
        self.relay = RelayService(self.client, self.manifest, self.relay_quota, clock=self.clock)
        self.valuations = ValuationService(
            self.client,
            self.manifest,
            documents,
            self.registrations,
            self.settings.valuation_max_age_days,
        )
        self.verification = VerificationService(
            self.client, self.manifest.chain_id, self.registrations, self.rights, self.valuations
        )
        self.document_keys = document_keys(
            self.settings, development=self.manifest.chain_id in DEV_CHAIN_IDS
        )
        self.certificates = CertificateService(
            self.client,
            self.manifest.chain_id,
            self.registrations,
            self.evidence,
            self.verification,
            public_base_url=self.settings.public_url or self.settings.api_url,
            node_modules_dir=self.settings.node_modules_dir,
            registrar_account=self.credential_account,
            document_keys=self.document_keys,
        )
        self.status_lists = StatusListService(
            self.engine,
            self.client,
            self.manifest.chain_id,
            self.certificates,
            self.clock,
            public_base_url=self.settings.public_url or self.settings.api_url,
            ttl=self.settings.status_list_ttl,
        )
        self.audit = AuditService(
            self.client,
            self.manifest,
            self.engine,
            self.registrations,
            self.rights,
            self.valuations,
        )
        self.auth = AuthService(
            self.engine,
            chain_id=self.manifest.chain_id,
            base_url=self.settings.public_url or self.settings.api_url,
            session_ttl=self.settings.session_ttl,
            sign_in_ttl=self.settings.sign_in_ttl,
            api_key_max_days=self.settings.api_key_max_days,
        )
        self.standing = Standing(self.client, self.registrations, self.rights, self.valuations)

    @property
    def operator(self) -> LocalAccount:
        """The transaction sender; a clear error where none is configured."""
        if self.operator_account is None:
            raise ConfigurationError(
                f"no operator key for chain {self.manifest.chain_id}: set DAREG_OPERATOR_KEYSTORE "
                "(or DAREG_OPERATOR_KEY) to the key that pays for the registry's transactions"
            )
        return self.operator_account

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        client: ChainClient | None = None,
        wall_clock: WallClock = time.time,
    ) -> RegistryContext:
        """Connect to the recorded deployment; never deploys (``dareg up`` does that).
        ``wall_clock`` is the clock behind :attr:`clock` (tests give one they move)."""
        client = client or make_client(settings)
        client.chain_id()  # an unreachable chain is reported first, naming DAREG_RPC_URL
        manifest = DeploymentManifest.load(settings.manifest_path)
        if manifest is None:
            raise DeploymentError(
                f"no deployment recorded at {settings.manifest_path}; start the registry with "
                "`dareg up` (or point DAREG_DEPLOYMENT_FILE at a manifest)"
            )
        verify_deployment(client, manifest, settings.manifest_path)
        return cls.connect(settings, client, manifest, wall_clock=wall_clock)

    @classmethod
    def connect(
        cls,
        settings: Settings,
        client: ChainClient,
        manifest: DeploymentManifest,
        *,
        operator: LocalAccount | None = None,
        wall_clock: WallClock = time.time,
    ) -> RegistryContext:
        """The services of the deployment ``manifest`` records, on ``client``, with the
        database and operator ``settings`` name: the one constructor path (after
        :meth:`open` checked the deployment, or after ``dareg up`` made or checked it).
        ``operator`` is the operator account already loaded from ``settings``, if it was (a
        keystore is then not opened twice)."""
        return cls(
            settings=settings,
            client=client,
            manifest=manifest,
            engine=make_engine(settings.effective_database_url),
            operator_account=operator or operator_account(settings, manifest.chain_id),
            credential_account=credential_account(settings, manifest.chain_id),
            wall_clock=wall_clock,
        )
