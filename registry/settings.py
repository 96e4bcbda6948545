"""Settings: the only place dareg reads its environment.

Every variable is ``DAREG_<FIELD>`` (case-insensitive). Defaults give the embedded stack: anvil
on 127.0.0.1:8545 with its state under ``var/``, SQLite at ``var/registry.db``, the API on
127.0.0.1:8000.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration of the registry service, CLI and indexer."""

    model_config = SettingsConfigDict(env_prefix="DAREG_", extra="ignore", frozen=True)

    var_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="chain state, database, manifest"
    )
    rpc_url: str | None = Field(
        default=None, description="external EVM node; unset means the embedded anvil"
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the mirror")
    deployment_file: Path | None = Field(default=None, description="deployment manifest path")
    artifacts_dir: Path = PROJECT_ROOT / "artifacts"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"

    public_url: str | None = Field(
        default=None, description="public base URL of the API (tokenURI, QR codes); default: api"
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    node_host: str = "127.0.0.1"
    node_port: int = Field(default=8545, ge=1, le=65535)
    chain_id: int = Field(default=31337, ge=1, description="chain id of the embedded anvil")
    state_interval: int = Field(
        default=5, ge=1, description="seconds between checkpoints of the embedded chain's state"
    )
    operator_key: SecretStr | None = Field(
        default=None,
        description="private key that sends the service's transactions; "
        "defaults to the embedded chain's first development account",
    )
    credential_key: SecretStr | None = Field(
        default=None,
        description="private key of a registrar staff account the service signs certificate "
        "credentials with (never the operator, which holds no role); on the embedded chain it "
        "defaults to the demo's staff account of registrar 440",
    )
    operator_keystore: Path | None = Field(
        default=None,
        description="encrypted keystore (eth-account JSON) of the operator, instead of "
        "DAREG_OPERATOR_KEY",
    )
    operator_keystore_password: SecretStr | None = Field(
        default=None, description="password of DAREG_OPERATOR_KEYSTORE"
    )
    operator_keystore_password_file: Path | None = Field(
        default=None, description="file holding the password of DAREG_OPERATOR_KEYSTORE"
    )
    credential_keystore: Path | None = Field(
        default=None,
        description="encrypted keystore of the credential-signing staff account, instead of "
        "DAREG_CREDENTIAL_KEY",
    )
    credential_keystore_password: SecretStr | None = Field(
        default=None, description="password of DAREG_CREDENTIAL_KEYSTORE"
    )
    credential_keystore_password_file: Path | None = Field(
        default=None, description="file holding the password of DAREG_CREDENTIAL_KEYSTORE"
    )
    document_signing_key: Path | None = Field(
        default=None,
        description="PEM private key (ECDSA or RSA, encrypted or not) the service signs "
        "certificate PDFs with (PAdES); on a development chain, when unset, a self-signed key "
        "per registrar is made under var/document-signing/",
    )
    document_signing_key_password: SecretStr | None = Field(
        default=None, description="password of an encrypted DAREG_DOCUMENT_SIGNING_KEY"
    )
    document_signing_key_password_file: Path | None = Field(
        default=None, description="file holding the password of DAREG_DOCUMENT_SIGNING_KEY"
    )
    document_signing_certificate: Path | None = Field(
        default=None,
        description="PEM X.509 certificate of DAREG_DOCUMENT_SIGNING_KEY, then its chain "
        "(published at /api/v1/registrars/{code}/document-signing-certificate)",
    )
    keystore_password: SecretStr | None = Field(
        default=None,
        description="password of a keystore given to the CLI's --key-file when no "
        "--password-file is given (otherwise it asks on a terminal)",
    )
    admin_address: str | None = Field(
        default=None,
        description="the registry's admin (a multisig or timelock), named when deploying; "
        "defaults to a development account of the embedded chain, never the operator",
    )
    rpc_timeout: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="seconds one JSON-RPC call may take (connecting, and the whole answer); a "
        "node that does not answer in time is reported unreachable (503 chain_unreachable)",
    )
    tx_receipt_timeout: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="seconds a sent transaction is awaited before it is replaced with a higher "
        "gas price",
    )
    tx_replacements: int = Field(
        default=2,
        ge=0,
        le=10,
        description="times a transaction not mined in time is replaced before the request "
        "answers 503 transaction_not_mined",
    )
    finality_depth: int = Field(default=0, ge=0, description="blocks behind head the indexer stays")
    poll_interval: float = Field(default=0.5, gt=0, description="indexer follow-mode poll, seconds")
    log_range: int = Field(default=2000, ge=1, description="initial eth_getLogs block range")
    reorg_window: int = Field(
        default=64, ge=0, description="blocks below the head the indexer can still roll back"
    )
    relay_quota_per_address: int = Field(
        default=120,
        ge=1,
        description="transactions the operator pays for one party (signer, anchorer, applicant, "
        "pledgor) in any rolling hour",
    )
    relay_quota_global: int = Field(
        default=5000,
        ge=1,
        description="transactions the operator pays for, all parties together, in any rolling hour",
    )
    valuation_max_age_days: int = Field(
        default=365, ge=1, description="a valuation whose base date is older is stale"
    )
    session_ttl: int = Field(
        default=3600, ge=60, le=86_400, description="seconds a signed-in session lasts"
    )
    sign_in_ttl: int = Field(
        default=300, ge=30, le=3600, description="seconds a sign-in message can be signed in"
    )
    session_file: Path | None = Field(
        default=None,
        description="where `dareg login` keeps the CLI's session (default: var/cli-session.json)",
    )
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, description="the largest request body the API reads, in bytes"
    )
    max_json_depth: int = Field(
        default=64, ge=4, le=512, description="the deepest nesting of a JSON request body"
    )
    public_rate_per_minute: int = Field(
        default=1200,
        ge=1,
        description="requests a minute one client address may make without signing in",
    )
    idempotency_key_ttl: int = Field(
        default=86_400,
        ge=60,
        le=30 * 86_400,
        description="seconds an Idempotency-Key and the answer it got are kept "
        "(docs/idempotency.md)",
    )
    api_key_max_days: int = Field(
        default=365, ge=1, le=3650, description="the longest lifetime of an API key, in days"
    )
    status_list_ttl: int = Field(
        default=300,
        ge=10,
        le=86_400,
        description="seconds a status list credential stays valid and may be cached (its ttl): "
        "how long a verifier may go on trusting a list after the chain changed",
    )

    @property
    def embedded(self) -> bool:
        """True when the service runs its own anvil (no ``DAREG_RPC_URL``)."""
        return self.rpc_url is None

    @cached_property
    def effective_rpc_url(self) -> str:
        return self.rpc_url or f"http://{self.node_host}:{self.node_port}"

    @cached_property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'registry.db'}"

    @cached_property
    def manifest_path(self) -> Path:
        return self.deployment_file or self.var_dir / "deployment.json"

    @cached_property
    def chain_state_path(self) -> Path:
        return self.var_dir / "chain" / "state.json"

    @cached_property
    def chain_journal_path(self) -> Path:
        """The embedded chain's write-ahead journal of signed transactions (docs/durability.md)."""
        return self.var_dir / "chain" / "journal.jsonl"

    @cached_property
    def lock_path(self) -> Path:
        return self.var_dir / "dareg.lock"

    @cached_property
    def nonce_dir(self) -> Path:
        """Where the senders' transaction locks and last nonces are shared by the processes
        using this ``var/`` (the API under ``dareg up`` and ``dareg`` commands)."""
        return self.var_dir / "nonces"

    @cached_property
    def document_signing_dir(self) -> Path:
        """Where a development chain's self-signed document-signing keys are kept."""
        return self.var_dir / "document-signing"

    @property
    def cli_session_path(self) -> Path:
        return self.session_file or self.var_dir / "cli-session.json"

    @cached_property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @cached_property
    def token_base_uri(self) -> str:
        """Prefix of every certificate's ``tokenURI`` (the certificate number is appended)."""
        return f"{(self.public_url or self.api_url).rstrip('/')}/api/v1/metadata/"
