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
/// for the current pledgor (or the pledgee's own enforcement after maturity); important data
/// without a live, unused regulator approval of that move (when policy requires it); to a
/// recipient without a recorded country (fail closed); or to a recipient abroad without a valid
/// cross-border record naming the holder as exporter. Core data is never registered, so it
/// never moves. Every state change is refused while the authority is paused.
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

    /// @notice A pledgee's consent to one action with one counterparty, given to one pledgor
    ///         until a deadline; useless once the certificate (and so the pledge) has another
    ///         pledgor or the deadline passed. Spent by the action it allows.
    struct Consent {
        address pledgor;
        uint48 deadline;
    }

    /// @notice A regulator's approval of one move of important data from `from` (the holder when
    ///         approved) to one recipient, until `expiry`; spent by the move it approves.
    struct TransferApproval {
        address from;
        uint48 expiry;
        address regulator;
    }

    /// @notice The basis of a transfer abroad (数据出境) of one certificate from one exporter to
    ///         one recipient. Validated when recorded: the exporter is the holder at that time,
    ///         the mechanism is allowed for the data's level (important data: security assessment
    ///         only), the expiry is in the future and at most {CROSS_BORDER_MAX_TERM} away.
    /// @param country ISO 3166-1 alpha-2 of the recipient's country (never CN)
    /// @param exporter the holder allowed to export under this record
    struct CrossBorderRecord {
        CrossBorderMechanism mechanism;
        uint48 expiry;
        bytes2 country;
        bytes32 approvalNumberHash;
        address exporter;
    }

    /// @notice `actor` moved the certificate (the holder, a regulator for a court order, the
    ///         pledgee for an enforcement).
    event CertificateTransferred(
        uint256 indexed tokenId,
        address indexed from,
        address indexed to,
        TransferReason reason,
        bytes32 documentHash,
        address actor
    );
    /// @notice A pledge was registered with both parties' consent; `record` is the stored pledge.
    event PledgeRegistered(
        uint256 indexed pledgeId, uint256 indexed tokenId, address indexed pledgee, Pledge record, address relayer
    );
    /// @notice The pledgee released its pledge.
    event PledgeReleased(uint256 indexed pledgeId, uint256 indexed tokenId, address indexed pledgee);
    /// @notice The pledgee enforced its pledge, moving the certificate to `to`.
    event PledgeEnforced(uint256 indexed pledgeId, uint256 indexed tokenId, address indexed to, address pledgee);
    /// @notice The pledgee consented to `action` with `counterparty`, by `pledgor` until `deadline`.
    event PledgeConsentGranted(
        uint256 indexed pledgeId,
        uint256 indexed tokenId,
        ConsentAction action,
        address counterparty,
        address pledgor,
        uint48 deadline,
        address pledgee
    );
    /// @notice The pledgee withdrew its unused consent to `action` with `counterparty`.
    event PledgeConsentWithdrawn(
        uint256 indexed pledgeId, uint256 indexed tokenId, ConsentAction action, address counterparty, address pledgee
    );
    /// @notice `pledgor` (the holder acting) spent the consent to `action` with `counterparty`.
    event PledgeConsentUsed(
        uint256 indexed pledgeId, uint256 indexed tokenId, ConsentAction action, address counterparty, address pledgor
    );
    /// @notice The certificate ended (cancelled, revoked or closed as expired) while pledged: the
    ///         pledge is closed; `endStatus` is the certificate's end (IDataAssetRegistry.Status).
    ///         The actor is named by the certificate's own end event in the same transaction.
    event PledgeSettled(uint256 indexed pledgeId, uint256 indexed tokenId, uint8 endStatus);
    /// @notice The certificate moved: its pledge follows it to the new holder `pledgor`; `actor`
    ///         moved it.
    event PledgorChanged(uint256 indexed pledgeId, uint256 indexed tokenId, address pledgor, address actor);
    /// @notice `regulator` froze the certificate for case `caseRef`.
    event CertificateFrozen(uint256 indexed tokenId, address indexed regulator, bytes32 caseRef);
    /// @notice `actor` (the regulator that froze, or the admin) lifted the freeze, for case `caseRef`.
    event CertificateUnfrozen(uint256 indexed tokenId, address indexed actor, bytes32 caseRef);
    /// @notice `regulator` approved one move of important data from `from` to `to` until `expiry`
    ///         (0: withdrawn).
    event TransferApproved(uint256 indexed tokenId, address indexed to, address from, uint48 expiry, address regulator);
    /// @notice The move from `from` to `to` spent the approval `regulator` gave; `actor` moved.
    event TransferApprovalUsed(
        uint256 indexed tokenId, address indexed to, address from, address regulator, address actor
    );
    /// @notice `regulator` recorded the basis of `exporter`'s transfer abroad to `recipient`.
    event CrossBorderRecorded(
        uint256 indexed tokenId,
        address indexed recipient,
        CrossBorderMechanism mechanism,
        uint48 expiry,
        bytes2 country,
        bytes32 approvalNumberHash,
        address exporter,
        address regulator
    );
    /// @notice `regulator` recorded `party`'s country (0: cleared, so no move to it passes).
    event PartyCountrySet(address indexed party, bytes2 country, address regulator);
    /// @notice `admin` set whether important data needs a regulator's approval to move.
    event ImportantDataApprovalRequired(bool required, address admin);

    /// @notice The certificate is not in force (status: its effective IDataAssetRegistry.Status).
    error AgentNotIssued(uint256 tokenId, uint8 status);
    /// @notice `account` is not the holder of `tokenId`.
    error AgentNotHolder(uint256 tokenId, address account);
    /// @notice `account` holds no regulator role.
    error AgentNotRegulator(address account);
    /// @notice `account` is not the admin.
    error AgentNotAdmin(address account);
    /// @notice An authorisation hook was called by someone other than the ledger or the licence registry.
    error AgentUnauthorizedModule(address caller);
    /// @notice `account` is not the pledgee of `pledgeId`.
    error AgentNotPledgee(uint256 pledgeId, address account);
    /// @notice The certificate is frozen.
    error AgentFrozen(uint256 tokenId);
    /// @notice The certificate is not frozen.
    error AgentNotFrozen(uint256 tokenId);
    /// @notice Only the regulator that froze (`frozenBy`), or the admin with a case reference, lifts a freeze.
    error AgentNotFreezer(uint256 tokenId, address account, address frozenBy);
    /// @notice The admin lifts a freeze only with a case reference.
    error AgentCaseReferenceRequired(uint256 tokenId);
    /// @notice The certificate is pledged and the pledgee gave no valid consent for this action.
    error AgentPledged(uint256 tokenId, uint256 pledgeId);
    /// @notice The pledge is not live (never registered, released, enforced, or settled by the
    ///         certificate's end).
    error AgentPledgeNotLive(uint256 pledgeId);
    /// @notice The certificate already has a live pledge.
    error AgentPledgeAlreadyLive(uint256 tokenId, uint256 pledgeId);
    /// @notice The maturity is not before the certificate's validity end: the pledgee enforces only
    ///         after maturity, while the certificate is still valid, so maturity must come first.
    error AgentPledgeOutlastsCertificate(uint48 maturity, uint48 validUntil);
    /// @notice The maturity is not in the future.
    error AgentPledgeMaturityPassed(uint48 maturity);
    /// @notice Enforcement comes only after maturity.
    error AgentPledgeNotMatured(uint256 pledgeId, uint48 maturity);
    /// @notice A pledge term is invalid (`field` names it).
    error AgentInvalidPledgeTerms(string field);
    /// @notice The signatures' deadline passed.
    error AgentExpiredSignature(uint256 deadline);
    /// @notice `signer` did not sign the terms.
    error AgentInvalidSignature(address signer);
    /// @notice The terms carry another nonce than the certificate's.
    error AgentBadNonce(uint256 tokenId, uint256 expected, uint256 given);
    /// @notice A consent's deadline is not in the future.
    error AgentConsentDeadlinePassed(uint48 deadline);
    /// @notice No consent to withdraw.
    error AgentNoConsent(uint256 pledgeId, ConsentAction action, address counterparty);
    /// @notice Important data moves only with a live approval for this move.
    error AgentApprovalRequired(uint256 tokenId, address to);
    /// @notice An approval's expiry is neither 0 (withdrawal) nor in the future.
    error AgentInvalidApprovalExpiry(uint48 expiry);
    /// @notice A recipient abroad needs a valid cross-border record naming the exporter.
    error AgentCrossBorderRecordRequired(uint256 tokenId, address to, bytes2 country);
    /// @notice No country is recorded for the recipient: no move to it passes (fail closed).
    error AgentRecipientWithoutCountry(address to);
    /// @notice The reason is not one the caller may give.
    error AgentInvalidReason(TransferReason reason);
    /// @notice The zero address receives nothing.
    error AgentInvalidRecipient(address to);
    /// @notice The mechanism is not allowed for the data's level (GB/T 43697 level).
    error AgentCrossBorderMechanismNotAllowed(uint256 tokenId, uint8 level, CrossBorderMechanism mechanism);
    /// @notice The record's expiry is not in the future or further away than `latest`.
    error AgentCrossBorderExpiryInvalid(uint48 expiry, uint48 latest);
    /// @notice The country is zero, not two upper-case letters, or domestic where a foreign one is needed.
    error AgentInvalidCountry(bytes2 country);

    // --- transfers ----------------------------------------------------------------------

    /// @notice The holder transfers for a sale, inheritance or merger; `documentHash` is the hash of
    ///         the underlying contract or document.
    function transfer(uint256 tokenId, address to, TransferReason reason, bytes32 documentHash) external;

    /// @notice A regulator executes a court order: the only movement a freeze allows; pledges stay attached.
    function courtOrderTransfer(uint256 tokenId, address to, bytes32 caseRef) external;

    // --- pledges ------------------------------------------------------------------------

    /// @notice Registers a pledge both parties signed (EIP-712 `Pledge`); anyone relays it.
    function registerPledge(PledgeTerms calldata terms, bytes calldata pledgorSignature, bytes calldata pledgeeSignature)
        external
        returns (uint256 pledgeId);
    /// @notice The pledgee releases its live pledge.
    function releasePledge(uint256 pledgeId) external;
    /// @notice After maturity the pledgee moves the certificate to `to` (itself or a buyer).
    function enforcePledge(uint256 pledgeId, address to) external;
    /// @notice The pledgee consents to `action` with `counterparty` by the current pledgor, until
    ///         `deadline` (in the future); replaces an earlier consent to the same action and counterparty.
    function grantConsent(uint256 pledgeId, ConsentAction action, address counterparty, uint48 deadline) external;
    /// @notice The pledgee withdraws its unused consent to `action` with `counterparty`.
    function withdrawConsent(uint256 pledgeId, ConsentAction action, address counterparty) external;

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

    /// @notice The live pledge (0: none, also when the certificate is not in force) and whether
    ///         the certificate is frozen.
    function encumbrance(uint256 tokenId) external view returns (uint256 livePledgeId, bool frozen);

    // --- regulators ---------------------------------------------------------------------

    /// @notice A regulator freezes a registered certificate for case `caseRef`.
    function freeze(uint256 tokenId, bytes32 caseRef) external;
    /// @notice The regulator that froze lifts its freeze; or the admin, with a non-zero `caseRef`.
    function unfreeze(uint256 tokenId, bytes32 caseRef) external;
    /// @notice A regulator approves one move of important data from the current holder to `to`
    ///         until `expiry` (0 withdraws); the move spends it.
    function approveTransfer(uint256 tokenId, address to, uint48 expiry) external;
    /// @notice A regulator records the basis of a transfer abroad, validated (see {CrossBorderRecord}).
    function recordCrossBorder(uint256 tokenId, address recipient, CrossBorderRecord calldata record) external;
    /// @notice A regulator records `party`'s country (0 clears it; a party without one receives nothing).
    function setPartyCountry(address party, bytes2 country) external;
    /// @notice The admin sets whether important data needs a regulator's approval to move.
    function setImportantDataApprovalRequired(bool required) external;

    // --- views --------------------------------------------------------------------------

    /// @notice Three years (with a leap day): the longest a cross-border record may run.
    function CROSS_BORDER_MAX_TERM() external view returns (uint48); // solhint-disable-line func-name-mixedcase
    /// @notice The pledge; its status is effective: a live pledge on a certificate no longer in
    ///         force (expired, or ended before its pledge was settled) reads as Settled.
    function pledge(uint256 pledgeId) external view returns (Pledge memory);
    /// @notice The live pledge of a certificate in force (0: none).
    function livePledgeOf(uint256 tokenId) external view returns (uint256 pledgeId);
    /// @notice The nonce the next pledge of `tokenId` is signed with.
    function pledgeNonce(uint256 tokenId) external view returns (uint256);
    /// @notice The pledgee's consent to `action` with `counterparty` (zero: none).
    function consentOf(uint256 pledgeId, ConsentAction action, address counterparty)
        external
        view
        returns (Consent memory);
    /// @notice The certificate's freeze (frozen false: none).
    function freezeOf(uint256 tokenId) external view returns (Freeze memory);
    /// @notice The country recorded for `party` (0: none, and no move to it passes).
    function partyCountry(address party) external view returns (bytes2);
    /// @notice The cross-border record of `tokenId` to `recipient`.
    function crossBorderRecord(uint256 tokenId, address recipient) external view returns (CrossBorderRecord memory);
    /// @notice The unused approval of a move of `tokenId` to `to`.
    function transferApproval(uint256 tokenId, address to) external view returns (TransferApproval memory);
    /// @notice The expiry of the unused approval of a move of `tokenId` to `to` (0: none).
    function transferApprovalExpiry(uint256 tokenId, address to) external view returns (uint48);
    /// @notice Whether important data needs a regulator's approval to move.
    function importantDataApprovalRequired() external view returns (bool);
}
