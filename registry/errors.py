"""The one exception hierarchy of dareg.

Every error the service raises on purpose derives from :class:`DaregError`. Each class carries a
stable, machine-readable ``code`` (the API returns it; clients may switch on it) and a ``status``
(the HTTP status the API maps it to). The CLI prints ``str(error)`` on one line and exits non-zero.

    DaregError
    ├── InputError (400/422)        the caller sent something unusable
    │   ├── PathNotFoundError
    │   ├── EmptyDatasetError
    │   ├── UnreadableFileError
    │   ├── UnsupportedFileError
    │   ├── MalformedFingerprintError
    │   ├── MalformedProofError
    │   ├── MalformedNumberError
    │   ├── BlockNotFoundError        a block beyond the chain's head
    │   ├── AddressChecksumError      a mixed-case address failing its EIP-55 checksum
    │   ├── UnknownCurrencyError      not an active ISO 4217 code known to the valuation module
    │   ├── NonPositiveValuationError a valuation came out zero or negative
    │   ├── MissingComparablesError   the market approach has too few comparable transactions
    │   ├── InvalidRelayRequestError  a forward request the relayer will not send
    │   │   └── RelayActionNotAllowedError (403)  not one of the relay policy's actions
    │   ├── RelaySignatureError       its signature is not the signer's
    │   ├── IdempotencyKeyReusedError an Idempotency-Key sent again with another request
    │   └── InvalidIdempotencyKeyError an Idempotency-Key that is empty, too long or not ASCII
    ├── AuthenticationError (401)   no credentials, or credentials that prove nobody
    │   ├── InvalidSignInError        a Sign-In with Ethereum message or signature that fails
    │   ├── SignInReplayedError       a sign-in nonce unknown, expired or already used
    │   └── SessionExpiredError       a session or API key past its end or revoked
    ├── ForbiddenError (403)        the caller is known but has no standing for this
    │   ├── RoleRequiredError         the chain gives the caller no role or standing for it
    │   ├── SignerNotCallerError      an action prepared or relayed for another account
    │   └── ScopeMissingError         an API key without the scope the operation needs
    ├── NotFoundError (404)
    │   ├── EvidenceNotFoundError
    │   ├── RegistrationNotFoundError
    │   ├── CertificateNotFoundError
    │   ├── PledgeNotFoundError
    │   ├── LicenceNotFoundError
    │   ├── ValuationNotFoundError
    │   ├── ObjectionNotFoundError
    │   ├── AppraiserNotFoundError    an account never accredited
    │   ├── RegistrarNotFoundError
    │   ├── DocumentSigningCertificateNotFoundError  no signing certificate held for a registrar
    │   └── StatusListNotFoundError   no such status list: list name, registrar or page
    ├── ConflictError (409)
    │   ├── EvidenceAlreadyAnchoredError
    │   ├── VerificationFailedError   a check ran and found no match (CLI exit code 3)
    │   │   └── MirrorDriftError      the SQL mirror differs from the chain (dareg audit)
    │   ├── RegistrarKeyUnavailableError  a registrar must sign, this service holds no key of it
    │   ├── DocumentSigningKeyUnavailableError  no usable document-signing key (X.509) for a PDF
    │   ├── RelayRequestExpiredError  a forward request past its deadline
    │   ├── StaleRelayRequestError    a forward request whose nonce was used (replay)
    │   ├── RequestInFlightError      the same request is being carried out by another now
    │   ├── AlreadySubmittedError     a signed application that was carried out already
    │   └── IdempotencyKeyInUseError  the first request with this Idempotency-Key still runs
    ├── RemoteApiError (the API's status)  the registry's REST API refused a CLI request
    ├── RelayQuotaExceededError (429)  the operator already paid for enough this hour
    ├── ContractRevertError (403/404/409/422)  the contract refused: custom error name and arguments
    ├── ConfigurationError (500)
    ├── StackError (503)            the embedded stack cannot start or run
    │   ├── PortInUseError
    │   ├── StackAlreadyRunningError
    │   └── NodeStartError
    ├── ChainError (503)
    │   ├── ChainUnreachableError
    │   ├── TransactionNotMinedError  sent, but not mined in time even after replacements
    │   └── DeploymentError
    │       └── ContractsMissingError
    └── IndexerError (500)          the mirror cannot follow the chain safely; it stops
        ├── IndexerLockedError      another indexer is writing the same mirror
        ├── ReorgTooDeepError       a reorganisation below the undo window: nothing deleted
        └── MirrorBusyError (503)   the indexer moved the mirror during every attempt to read it

``translate_revert`` turns a contract's "unknown X" revert into the matching NotFoundError.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DaregError(Exception):
    """Root of every error dareg raises on purpose."""

    code: ClassVar[str] = "dareg_error"
    status: ClassVar[int] = 500

    def __init_subclass__(
        cls, *, code: str | None = None, status: int | None = None, **kwargs: Any
    ) -> None:
        """A subclass names its ``code``, and its ``status`` where it is not its base's, in its
        header: ``class PortInUseError(StackError, code="port_in_use")``."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.status = status

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message

    @property
    def http_status(self) -> int:
        """The HTTP status the API answers with."""
        return self.status

    @property
    def public_code(self) -> str:
        """The stable code the API answers and the access log records."""
        return self.code


# --- the caller's input ----------------------------------------------------------------------


class InputError(DaregError, code="invalid_input", status=422):
    """The request or argument cannot be used as given."""


class PathNotFoundError(InputError, code="path_not_found"): ...


class EmptyDatasetError(InputError, code="empty_dataset"): ...


class UnreadableFileError(InputError, code="unreadable_file"): ...


class UnsupportedFileError(InputError, code="unsupported_file"):
    """A symlink, device, socket or name the fingerprint algorithm does not accept."""


class MalformedFingerprintError(InputError, code="malformed_fingerprint"): ...


class MalformedProofError(InputError, code="malformed_proof"): ...


class MalformedNumberError(InputError, code="malformed_number"):
    """A registration or certificate number of the wrong shape or with a wrong check digit."""


class BlockNotFoundError(InputError, code="block_not_found"):
    """A block number beyond the chain's head (an answer "as of" a block that does not exist)."""


class AddressChecksumError(InputError, code="address_checksum_mismatch"):
    """A mixed-case address whose letters' case is not its EIP-55 checksum (a mistyped
    address); all-lowercase and all-uppercase hex carry no checksum and are accepted."""


class UnknownCurrencyError(InputError, code="unknown_currency"):
    """A currency code that is not an active ISO 4217 code with a known minor unit."""


class NonPositiveValuationError(InputError, code="non_positive_valuation"):
    """A valuation whose result is zero or negative (or rounds to zero minor units)."""


class MissingComparablesError(InputError, code="missing_comparables"):
    """The market approach was given fewer comparable transactions than it requires."""


class InvalidRelayRequestError(InputError, code="invalid_relay_request"):
    """A forward request the relayer will not send (not a registry contract, value attached,
    not one of its functions)."""


class RelayActionNotAllowedError(
    InvalidRelayRequestError, code="relay_action_not_allowed", status=403
):
    """A forward request for a function the relay policy does not pay for
    (:mod:`registry.relay.policy`): refused before it is simulated or sent."""


class RelaySignatureError(InputError, code="invalid_signature"):
    """A forward request's signature is malformed or was not made by its signer."""


class IdempotencyKeyReusedError(InputError, code="idempotency_key_reused"):
    """An ``Idempotency-Key`` the caller used before for a different request (another
    operation or another body): nothing was done."""


class InvalidIdempotencyKeyError(InputError, code="invalid_idempotency_key"):
    """An ``Idempotency-Key`` that is empty, longer than 255 characters or not printable
    ASCII."""


class AuthenticationError(DaregError, code="not_authenticated", status=401):
    """The operation needs a signed-in caller: a session (cookie or bearer token) or an API
    key."""


class InvalidSignInError(AuthenticationError, code="invalid_sign_in"):
    """A Sign-In with Ethereum message that is malformed, for another domain or chain, expired,
    or not signed by the account it names."""


class SignInReplayedError(AuthenticationError, code="sign_in_replayed"):
    """The sign-in message's nonce was never issued here, has expired or was used already."""


class SessionExpiredError(AuthenticationError, code="session_expired"):
    """The session or API key has ended, was revoked, or never existed."""


class ForbiddenError(DaregError, code="forbidden", status=403):
    """The caller is known, but may not do this."""


class RoleRequiredError(ForbiddenError, code="role_required"):
    """The chain gives the caller neither the role nor the standing the operation needs."""


class SignerNotCallerError(ForbiddenError, code="signer_not_caller"):
    """An action is prepared or relayed for an account other than the signed-in caller."""


class ScopeMissingError(ForbiddenError, code="scope_missing"):
    """The API key lacks the scope the operation needs."""


class NotFoundError(DaregError, code="not_found", status=404): ...


class EvidenceNotFoundError(NotFoundError, code="evidence_not_found"): ...


class RegistrationNotFoundError(NotFoundError, code="registration_not_found"): ...


class CertificateNotFoundError(NotFoundError, code="certificate_not_found"): ...


class PledgeNotFoundError(NotFoundError, code="pledge_not_found"): ...


class LicenceNotFoundError(NotFoundError, code="licence_not_found"): ...


class ValuationNotFoundError(NotFoundError, code="valuation_not_found"): ...


class ObjectionNotFoundError(NotFoundError, code="objection_not_found"): ...


class AppraiserNotFoundError(NotFoundError, code="appraiser_not_found"):
    """An account that was never accredited as an appraiser."""


class RegistrarNotFoundError(NotFoundError, code="registrar_not_found"):
    """No registration agency was ever configured under the code."""


class DocumentSigningCertificateNotFoundError(
    NotFoundError, code="document_signing_certificate_not_found"
):
    """This service signs no documents of the registrar, so it publishes no certificate for it."""


class StatusListNotFoundError(NotFoundError, code="status_list_not_found"):
    """No such status list: an unknown list name, a registrar code never configured, or a page
    beyond every token id the registry has issued."""


class ConflictError(DaregError, code="conflict", status=409): ...


class EvidenceAlreadyAnchoredError(ConflictError, code="evidence_already_anchored"): ...


class VerificationFailedError(ConflictError, code="verification_failed"):
    """A verification ran and found no match: not anchored, proof does not verify."""


class MirrorDriftError(VerificationFailedError, code="mirror_drift"):
    """An audit compared the SQL mirror with the chain and found rows that differ."""


class RegistrarKeyUnavailableError(ConflictError, code="registrar_key_unavailable"):
    """A registrar's signature is needed (a credential) but this service holds none of its keys."""


class DocumentSigningKeyUnavailableError(ConflictError, code="document_signing_key_unavailable"):
    """A PDF must be signed but this service holds no usable document-signing key (X.509)."""


class RelayRequestExpiredError(ConflictError, code="relay_request_expired"): ...


class StaleRelayRequestError(ConflictError, code="stale_relay_request"):
    """The signer's forwarder nonce moved on: the request was sent already or superseded."""


class RequestInFlightError(ConflictError, code="request_in_progress"):
    """The same request (the same signed application or forward request, the same issuance)
    is being carried out by another request right now: only one of them is sent."""


class AlreadySubmittedError(ConflictError, code="already_submitted"):
    """A signed application whose nonce the registry used already: it was submitted before
    (by this request's twin) and is not submitted again."""


class IdempotencyKeyInUseError(ConflictError, code="idempotency_key_in_use"):
    """The first request with this ``Idempotency-Key`` is still being carried out; retry
    later for its answer."""


class RemoteApiError(DaregError, code="api_error", status=502):
    """The registry's REST API answered a CLI request with an error (its code and message are
    kept), or could not be reached (503)."""

    def __init__(self, message: str, *, code: str, status: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.remote_code = code
        self.remote_status = status

    @property
    def http_status(self) -> int:
        return self.remote_status


class RelayQuotaExceededError(DaregError, code="relay_quota_exceeded", status=429):
    """The operator already paid for as many transactions as the quota allows in the last hour,
    for this party or for everyone (:mod:`registry.relay.quota`); nothing was sent. The details
    say which quota (``scope``), its ``limit`` and ``retry_after`` (seconds)."""


class ContractRevertError(DaregError, code="contract_revert", status=422):
    """The contract refused a transaction with a custom error.

    ``error_name`` is the Solidity error's name (``EvidenceInvalidSignature``), ``args`` its decoded
    arguments by parameter name. The API code is derived from the name so it stays stable.
    """

    #: Custom errors that mean "you may not", "not in this state now" or "no such thing".
    _FORBIDDEN = (
        "NotRegistrarOf",
        "RegistrarRetired",
        "ActivationByAdminOnly",
        "NotHolder",
        "NoStanding",
        "AccessControlUnauthorizedAccount",
        "NotPledgee",
        "NotRegulator",
        "NotFreezer",
        "NotAdmin",
        "NotLicensee",
        "ParentNotLicensed",
        "NotParty",
        "ViaAgentOnly",
        # ERC-721 movements outside the transfer agent (EIP-6093 errors, contracts v2)
        "InsufficientApproval",
        "InvalidApprover",
        "InvalidOperator",
        "UnauthorizedModule",
        # valuations (ValuationRegistry)
        "NotAppraiser",
        "NotAuthorized",
        "NotOwnAppraisal",
    )
    _CONFLICT = (
        "WrongStatus",
        "NoticeWindowOpen",
        "NoticeWindowClosed",
        "ObjectionsOpen",
        "ObjectionNotOpen",
        "Expired",
        "AlreadyAnchored",
        "SourceAgreementEnded",
        "TransfersDisabled",
        # registrations, contracts v2 (DataAssetRegistry)
        "FingerprintInUse",
        "ValidityElapsed",
        "WindowNotOpen",
        "Encumbered",
        # transfers, pledges, freezes (TransferAgent) and licences (LicenceRegistry)
        "NotIssued",
        "Frozen",
        "Pledged",
        "PledgeAlreadyLive",
        "PledgeNotLive",
        "PledgeNotMatured",
        "BadNonce",
        "ApprovalRequired",
        "CrossBorderRecordRequired",
        "WithoutCountry",
        "NoConsent",
        "OutlastsCertificate",
        "ExclusiveConflict",
        "NotSublicensable",
        "NotActive",
        "ChainTooDeep",
        # valuations (ValuationRegistry); "CertificateNotIssued" and "NotActive" are covered above
        "AlreadyAccredited",
        "NotAccredited",
    )

    def __init__(self, error_name: str, args: dict[str, Any], message: str | None = None) -> None:
        self.error_name = error_name
        self.args_by_name = args
        rendered = ", ".join(f"{k}={v}" for k, v in args.items())
        super().__init__(
            message or f"the contract refused: {error_name}({rendered})",
            error=error_name,
            args=args,
        )

    @property
    def public_code(self) -> str:
        """One code per custom error: ``contract_`` and its name in snake case."""
        return "contract_" + "".join(
            "_" + c.lower() if c.isupper() and i else c.lower()
            for i, c in enumerate(self.error_name)
        )

    @property
    def http_status(self) -> int:
        name = self.error_name
        if any(part in name for part in self._FORBIDDEN):
            return 403
        if "Unknown" in name:
            return 404
        if any(name.endswith(part) for part in self._CONFLICT):
            return 409
        return 422


# --- configuration and the running stack ----------------------------------------------------


class ConfigurationError(DaregError, code="configuration_error", status=500): ...


class StackError(DaregError, code="stack_error", status=503): ...


class PortInUseError(StackError, code="port_in_use"): ...


class StackAlreadyRunningError(StackError, code="stack_already_running"): ...


class NodeStartError(StackError, code="node_start_failed"): ...


# --- the chain ---------------------------------------------------------------------------------


class ChainError(DaregError, code="chain_error", status=503): ...


class ChainUnreachableError(ChainError, code="chain_unreachable"): ...


class TransactionNotMinedError(ChainError, code="transaction_not_mined"):
    """A transaction was sent but not mined within the receipt timeout, even after it was
    replaced with higher gas prices; the details name its hashes (it may still be mined)."""


class DeploymentError(ChainError, code="deployment_error"): ...


class ContractsMissingError(DeploymentError, code="contracts_missing"): ...


class IndexerError(DaregError, code="indexer_error", status=500): ...


class IndexerLockedError(IndexerError, code="indexer_locked", status=409):
    """Another indexer holds the mirror's writer lock."""


class ReorgTooDeepError(IndexerError, code="reorg_too_deep"):
    """The chain reorganised below every block the mirror kept an undo journal for."""


class MirrorBusyError(IndexerError, code="mirror_busy", status=503):
    """The indexer kept moving the mirror while one consistent read of it was attempted; a
    moment later the read succeeds."""


#: Custom errors that mean "no such thing", with the error they become and the id argument.
_NOT_FOUND: dict[str, tuple[type[NotFoundError], str, str]] = {
    "RegistryUnknownRegistration": (RegistrationNotFoundError, "id", "registration"),
    "LicenceUnknown": (LicenceNotFoundError, "licenceId", "licence"),
    "ValuationUnknown": (ValuationNotFoundError, "valuationId", "valuation"),
}


def translate_revert(exc: ContractRevertError) -> DaregError:
    """A contract's "unknown X" revert as the matching :class:`NotFoundError`; others unchanged."""
    found = _NOT_FOUND.get(exc.error_name)
    if found is None:
        return exc
    error, argument, what = found
    value = exc.args_by_name.get(argument)
    return error(f"there is no {what} {value}", id=value)
