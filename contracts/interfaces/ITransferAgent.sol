// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ITransferAgent
/// @notice Moves certificates and keeps what gates their movement: pledges (质押), freezes (冻结),
///         regulator approvals for important data and cross-border records (数据出境).
///
/// The certificate contract (DataAssetRegistry) lets only this agent move a token: every
/// movement passes its `_update`, which refuses any other caller, so plain ERC-721
/// `transferFrom` / `safeTransferFrom` are disabled. Reads (`ownerOf`, `balanceOf`, `Transfer`
/// events, `supportsInterface`) stay standard.
///
/// A movement is refused when the certificate is not issued or expired; frozen (only a
/// regulator's court-ordered transfer passes a freeze); pledged without the pledgee's consent
/// (or the pledgee's own enforcement after maturity); important data without a live regulator
/// approval (when policy requires it); or to a recipient abroad without a valid cross-border
/// record. Core data is never registered, so it never moves.
/// @dev Events carry every fact an indexer needs.
interface ITransferAgent {
    enum TransferReason {
        None,
        Sale,
        Inheritance,
        Merger,
        CourtOrder,
        PledgeEnforcement
    }

    enum PledgeStatus {
        None,
        Live,
        Released,
        Enforced,
        Settled
    }

    /// @notice Actions a pledgee's consent unlocks while its pledge is live.
    enum ConsentAction {
        Transfer,
        Cancel,
        ExclusiveLicence,
        Change
    }

    /// @notice Cross-border transfer mechanisms (数据出境): security assessment, standard contract, certification.
    enum CrossBorderMechanism {
        None,
        SecurityAssessment,
        StandardContract,
        Certification
    }

    /// @notice What the holder and the lender both sign (EIP-712 `Pledge`), relayed in one transaction.
    /// @param currency ISO 4217 code as three ASCII bytes, e.g. "CNY"
    /// @param loanRef hash of the loan reference (contract number)
    /// @param nonce the certificate's pledge nonce ({pledgeNonce}); spent on registration
    struct PledgeTerms {
        uint256 tokenId;
        address pledgor;
        address pledgee;
        uint128 securedAmount;
        bytes3 currency;
        bytes32 loanRef;
        uint48 maturity;
        uint256 nonce;
        uint256 deadline;
    }

    struct Pledge {
        uint256 tokenId;
        address pledgor;
        address pledgee;
        uint128 securedAmount;
        bytes3 currency;
        uint48 registeredAt;
        uint48 maturity;
        PledgeStatus status;
        bytes32 loanRef;
    }

    struct Freeze {
        bool frozen;
        uint48 since;
        address by;
        bytes32 caseRef;
    }

    /// @param country ISO 3166-1 alpha-2 of the recipient's country
    struct CrossBorderRecord {
        CrossBorderMechanism mechanism;
        uint48 expiry;
        bytes2 country;
        bytes32 approvalNumberHash;
    }

    event CertificateTransferred(
        uint256 indexed tokenId, address indexed from, address indexed to, TransferReason reason, bytes32 documentHash
    );
    /// @notice A pledge was registered with both parties' consent; `record` is the stored pledge.
    event PledgeRegistered(
        uint256 indexed pledgeId, uint256 indexed tokenId, address indexed pledgee, Pledge record, address relayer
    );
    event PledgeReleased(uint256 indexed pledgeId, uint256 indexed tokenId, address indexed pledgee);
    event PledgeEnforced(uint256 indexed pledgeId, uint256 indexed tokenId, address indexed to, address pledgee);
    event PledgeConsentGranted(
        uint256 indexed pledgeId, uint256 indexed tokenId, ConsentAction action, address counterparty
    );
    event PledgeConsentUsed(uint256 indexed pledgeId, uint256 indexed tokenId, ConsentAction action, address counterparty);
    /// @notice The certificate ended (cancelled, revoked or closed as expired) while pledged: the
    ///         pledge is closed; `endStatus` is the certificate's end (IDataAssetRegistry.Status).
    event PledgeSettled(uint256 indexed pledgeId, uint256 indexed tokenId, uint8 endStatus);
    event PledgorChanged(uint256 indexed pledgeId, uint256 indexed tokenId, address pledgor);
    event CertificateFrozen(uint256 indexed tokenId, address indexed regulator, bytes32 caseRef);
    event CertificateUnfrozen(uint256 indexed tokenId, address indexed regulator, bytes32 caseRef);
    event TransferApproved(uint256 indexed tokenId, address indexed to, uint48 expiry, address regulator);
    event CrossBorderRecorded(
        uint256 indexed tokenId,
        address indexed recipient,
        CrossBorderMechanism mechanism,
        uint48 expiry,
        bytes2 country,
        bytes32 approvalNumberHash,
        address regulator
    );
    event PartyCountrySet(address indexed party, bytes2 country, address regulator);
    event ImportantDataApprovalRequired(bool required);

    error AgentNotIssued(uint256 tokenId, uint8 status);
    error AgentNotHolder(uint256 tokenId, address account);
    error AgentNotRegulator(address account);
    /// @notice An authorisation hook was called by someone other than the ledger or the licence registry.
    error AgentUnauthorizedModule(address caller);
    error AgentNotPledgee(uint256 pledgeId, address account);
    error AgentFrozen(uint256 tokenId);
    error AgentNotFrozen(uint256 tokenId);
    error AgentPledged(uint256 tokenId, uint256 pledgeId);
    error AgentPledgeNotLive(uint256 pledgeId);
    error AgentPledgeAlreadyLive(uint256 tokenId, uint256 pledgeId);
    /// @notice The maturity is not before the certificate's validity end: the pledgee enforces only
    ///         after maturity, while the certificate is still valid, so maturity must come first.
    error AgentPledgeOutlastsCertificate(uint48 maturity, uint48 validUntil);
    error AgentPledgeMaturityPassed(uint48 maturity);
    error AgentPledgeNotMatured(uint256 pledgeId, uint48 maturity);
    error AgentInvalidPledgeTerms(string field);
    error AgentExpiredSignature(uint256 deadline);
    error AgentInvalidSignature(address signer);
    error AgentBadNonce(uint256 tokenId, uint256 expected, uint256 given);
    error AgentApprovalRequired(uint256 tokenId, address to);
    error AgentCrossBorderRecordRequired(uint256 tokenId, address to, bytes2 country);
    error AgentInvalidReason(TransferReason reason);
    error AgentInvalidRecipient(address to);
    error AgentInvalidCrossBorder();

    // --- transfers ----------------------------------------------------------------------

    /// @notice The holder transfers for a sale, inheritance or merger; `documentHash` is the hash of
    ///         the underlying contract or document.
    function transfer(uint256 tokenId, address to, TransferReason reason, bytes32 documentHash) external;

    /// @notice A regulator executes a court order: the only movement a freeze allows; pledges stay attached.
    function courtOrderTransfer(uint256 tokenId, address to, bytes32 caseRef) external;

    // --- pledges ------------------------------------------------------------------------

    function registerPledge(PledgeTerms calldata terms, bytes calldata pledgorSignature, bytes calldata pledgeeSignature)
        external
        returns (uint256 pledgeId);
    function releasePledge(uint256 pledgeId) external;
    function enforcePledge(uint256 pledgeId, address to) external;
    function grantConsent(uint256 pledgeId, ConsentAction action, address counterparty) external;

    /// @notice Called by the certificate contract before a holder's cancellation: refuses while
    ///         frozen, or pledged without the pledgee's consent (which it consumes).
    function authorizeCancellation(uint256 tokenId, address holder) external;

    /// @notice Called by the licence registry before an exclusive licence: refuses while frozen,
    ///         or pledged without the pledgee's consent for that licensee (which it consumes).
    function authorizeExclusiveLicence(uint256 tokenId, address licensee) external;

    /// @notice Called by the certificate contract before a holder's new dataset version: refused
    ///         while frozen; while pledged it spends the pledgee's `Change` consent for `holder`.
    function authorizeChange(uint256 tokenId, address holder) external;

    /// @notice Called by the certificate contract when a certificate ends (cancelled, revoked,
    ///         closed as expired): a live pledge is closed with {PledgeSettled}.
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external;

    /// @notice The live pledge (0: none) and whether the certificate is frozen.
    function encumbrance(uint256 tokenId) external view returns (uint256 livePledgeId, bool frozen);

    // --- regulators ---------------------------------------------------------------------

    function freeze(uint256 tokenId, bytes32 caseRef) external;
    function unfreeze(uint256 tokenId, bytes32 caseRef) external;
    function approveTransfer(uint256 tokenId, address to, uint48 expiry) external;
    function recordCrossBorder(uint256 tokenId, address recipient, CrossBorderRecord calldata record) external;
    function setPartyCountry(address party, bytes2 country) external;
    function setImportantDataApprovalRequired(bool required) external;

    // --- views --------------------------------------------------------------------------

    function pledge(uint256 pledgeId) external view returns (Pledge memory);
    function livePledgeOf(uint256 tokenId) external view returns (uint256 pledgeId);
    function pledgeNonce(uint256 tokenId) external view returns (uint256);
    function freezeOf(uint256 tokenId) external view returns (Freeze memory);
    function partyCountry(address party) external view returns (bytes2);
    function crossBorderRecord(uint256 tokenId, address recipient) external view returns (CrossBorderRecord memory);
    function transferApprovalExpiry(uint256 tokenId, address to) external view returns (uint48);
    function importantDataApprovalRequired() external view returns (bool);
}
