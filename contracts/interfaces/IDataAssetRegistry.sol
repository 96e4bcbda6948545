// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IDataAssetRegistry
/// @notice Registration of data assets (数据资产登记) and their certificates (ERC-721).
///
/// Lifecycle, enforced here and nowhere else:
///   apply → Submitted → accept → Accepted → openNotice → InNotice → issue → Issued
///   Submitted|Accepted → returnForCorrection → Returned → resubmit → Submitted
///   Submitted|Accepted → reject → Rejected
///   InNotice: fileObjection (suspends issuance) → ruleObjection: upheld → Rejected, dismissed → proceeds
///   Issued → change (new version) | correct (registrar) | renew (registrar, before expiry)
///          | cancel (holder) | revoke / revokeEncumbered (registrar); Expired is derived from
///          time and reported everywhere; closeExpired (anyone) records it and settles what hangs on it.
///   Cancel, revoke and closeExpired burn the certificate and settle its live pledge and licences.
/// Certificates are non-transferable through ERC-721 (ERC-5192 `locked`): only the transfer agent
/// moves them, after its checks. A fingerprint backs at most one live registration.
///
/// Numbers (docs/numbers.md), both carrying an ISO 7064 MOD 11,10 check digit (GB/T 17710):
///   registration number, 16 digits: year(4) source(1) applicant type(1) registration id(9) check(1)
///   certificate number, 17 digits: issue year-month in UTC+8 (6) registrar code(3) id(7) check(1)
/// The token id of a certificate is its registration id.
/// @dev Events carry every fact an indexer needs; no follow-up call is required.
interface IDataAssetRegistry {
    enum AssetKind {
        Resource,
        Product
    }

    /// @notice GB/T 43697-2024 classification levels. Core data is never registrable.
    enum Classification {
        General,
        Important,
        Core
    }

    /// @notice Registration states. `Expired` is reported (by every view) once an issued
    ///         certificate's validity ended, and stored once someone called {closeExpired}.
    enum Status {
        None,
        Submitted,
        Accepted,
        Returned,
        Rejected,
        InNotice,
        Issued,
        Cancelled,
        Revoked,
        Expired
    }

    enum ObjectionStatus {
        None,
        Open,
        Upheld,
        Dismissed
    }

    /// @notice What a registrant applies with (also the EIP-712 `Application` message body).
    /// @param rights bit set: 1 holding (持有权), 2 processing-use (加工使用权), 4 product-operation (经营权)
    /// @param dataSource 1 self-collected, 2 licensed, 3 purchased, 4 public data
    /// @param applicantType 1 enterprise, 2 public institution, 3 individual business, 4 natural person, 9 other
    /// @param sourceAgreementEnd end of the agreement the data is held under (0: none); caps validity
    /// @param metadataHash SHA-256 of the RFC 8785 canonical JSON of the certificate metadata
    struct ApplicationInput {
        uint16 registrarCode;
        AssetKind kind;
        uint8 rights;
        Classification level;
        uint8 dataSource;
        uint8 applicantType;
        uint48 sourceAgreementEnd;
        bytes32 fingerprint;
        bytes32 metadataHash;
        uint256[] parents;
    }

    /// @notice A registration as stored (packed in three slots plus the content hashes and parents).
    struct Registration {
        address holder;
        uint48 submittedAt;
        uint16 registrarCode;
        Status status;
        AssetKind kind;
        uint8 rights;
        Classification level;
        uint48 noticeStart;
        uint48 noticeEnd;
        uint48 sourceAgreementEnd;
        uint48 issuedAt;
        uint48 validUntil;
        uint16 openObjections;
        uint32 version;
        uint8 dataSource;
        uint8 applicantType;
        bytes32 fingerprint;
        bytes32 metadataHash;
        uint256[] parents;
    }

    struct Objection {
        uint64 registrationId;
        address objector;
        uint48 filedAt;
        ObjectionStatus status;
    }

    // --- events -------------------------------------------------------------------------

    /// @notice `by` (the admin) set the default validity of a certificate.
    event ValidityPeriodSet(uint48 validityPeriod, address indexed by);
    /// @notice `by` (the admin) set how long before expiry a certificate may be renewed.
    event RenewalWindowSet(uint48 renewalWindow, address indexed by);
    /// @notice `by` (the admin) set the prefix of every tokenURI.
    event BaseURISet(string baseURI, address indexed by);

    /// @notice `applicant` applied (sent by `relayer`, the applicant itself when not relayed).
    event ApplicationSubmitted(
        uint256 indexed id,
        address indexed applicant,
        uint16 indexed registrarCode,
        uint64 registrationNumber,
        AssetKind kind,
        uint8 rights,
        Classification level,
        uint8 dataSource,
        uint8 applicantType,
        uint48 sourceAgreementEnd,
        bytes32 fingerprint,
        bytes32 metadataHash,
        uint256[] parents,
        address relayer
    );
    /// @notice `registrar` (a staff account) accepted the application for review.
    event ApplicationAccepted(uint256 indexed id, address indexed registrar);
    /// @notice `registrar` returned the application for correction.
    event ApplicationReturned(uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash);
    /// @notice `applicant` resubmitted a returned application with corrected content.
    event ApplicationResubmitted(uint256 indexed id, bytes32 fingerprint, bytes32 metadataHash, address indexed applicant);
    /// @notice `registrar` rejected the application (reason 1: an objection was upheld).
    event ApplicationRejected(uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash);
    /// @notice `registrar` opened the public notice.
    event NoticeOpened(uint256 indexed id, address indexed registrar, uint48 noticeStart, uint48 noticeEnd);
    /// @notice `objector` objected during the notice.
    event ObjectionFiled(
        uint256 indexed objectionId, uint256 indexed id, address indexed objector, bytes32 evidenceHash
    );
    /// @notice `registrar` ruled on an objection.
    event ObjectionRuled(
        uint256 indexed objectionId, uint256 indexed id, bool upheld, bytes32 reasonHash, address registrar
    );
    /// @notice `registrar` gave `party` standing to object.
    event StandingGranted(uint256 indexed id, address indexed party, address registrar);
    /// @notice `registrar` issued the certificate to `holder` (token id = registration id).
    event CertificateIssued(
        uint256 indexed id,
        address indexed holder,
        uint64 certificateNumber,
        uint48 issuedAt,
        uint48 validUntil,
        bytes32 fingerprint,
        bytes32 metadataHash,
        address registrar
    );
    /// @notice `by` recorded a new version: the holder (`change`) or a registrar (`correction`).
    event AssetChanged(
        uint256 indexed id, uint32 version, bytes32 fingerprint, bytes32 metadataHash, bool correction, address by
    );
    /// @notice `registrar` renewed the certificate; `sourceAgreementEnd` is the cap kept (0: none).
    event CertificateRenewed(uint256 indexed id, uint48 validUntil, uint48 sourceAgreementEnd, address registrar);
    /// @notice The holder cancelled its certificate (burned; pledge and licences settled).
    event CertificateCancelled(uint256 indexed id, address indexed holder, bytes32 reasonHash);
    /// @notice `registrar` revoked the certificate (burned; pledge and licences settled).
    ///         `rulingHash` is non-zero when the certificate was pledged or frozen: the recorded
    ///         ruling that decided to revoke it anyway ({revokeEncumbered}).
    event CertificateRevoked(
        uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash, bytes32 rulingHash
    );
    /// @notice `by` (anyone) closed an expired certificate (burned; pledge and licences settled).
    event CertificateExpiryClosed(uint256 indexed id, uint48 validUntil, address indexed by);

    // --- errors -------------------------------------------------------------------------

    error RegistryUnknownRegistration(uint256 id);
    error RegistryWrongStatus(uint256 id, Status actual);
    error RegistryNotRegistrarOf(address account, uint16 registrarCode);
    error RegistryUnknownRegistrar(uint16 registrarCode);
    error RegistryInvalidRegistrarCode(uint16 registrarCode);
    error RegistryNotHolder(uint256 id, address account);
    error RegistryCoreDataNotRegistrable();
    error RegistryInvalidRights(uint8 rights);
    error RegistryInvalidCode(string field, uint8 value);
    error RegistryZeroHash(string field);
    error RegistryProductWithoutParent();
    error RegistryResourceWithParents(uint256 count);
    error RegistryParentNotIssued(uint256 parentId, Status status);
    /// @notice The registrar requires evidence and `account` has not anchored the fingerprint.
    error RegistryEvidenceNotAnchored(bytes32 fingerprint, address account);
    /// @notice The applicant of a product neither holds the parent nor has a live processing-use licence on it.
    error RegistryParentNotLicensed(uint256 parentId, address applicant);
    /// @notice The fingerprint already backs another live registration.
    error RegistryFingerprintInUse(bytes32 fingerprint, uint256 otherId);
    /// @notice The validity period counted from the notice start already elapsed.
    error RegistryValidityElapsed(uint256 id, uint48 validUntil);
    /// @notice Renewal opens `renewalWindow` before expiry.
    error RegistryRenewalWindowNotOpen(uint256 id, uint48 opensAt);
    /// @notice The certificate is pledged or frozen: only {revokeEncumbered} revokes it.
    error RegistryEncumbered(uint256 id, uint256 livePledgeId, bool frozen);
    /// @notice The certificate has not expired yet.
    error RegistryNotExpired(uint256 id, uint48 validUntil);
    error RegistryNoticeWindowOpen(uint256 id, uint48 noticeEnd);
    error RegistryNoticeWindowClosed(uint256 id, uint48 noticeEnd);
    error RegistryObjectionsOpen(uint256 id, uint16 openObjections);
    error RegistryNoStanding(uint256 id, address objector);
    error RegistryObjectionNotOpen(uint256 objectionId);
    error RegistryExpired(uint256 id, uint48 validUntil);
    error RegistrySourceAgreementEnded(uint256 id, uint48 sourceAgreementEnd);
    error RegistryExpiredSignature(uint256 deadline);
    error RegistryInvalidSignature(address applicant);
    error RegistryFull(uint256 id);
    error RegistryInvalidNumber(uint64 number);
    error RegistryInvalidPolicy();
    error RegistryZeroRuling();

    // --- registrant ---------------------------------------------------------------------

    /// @notice Apply for registration as the sender. Returns the registration id (= future token id).
    function submitApplication(ApplicationInput calldata input) external returns (uint256 id);

    /// @notice Apply on behalf of `applicant`, who signed the EIP-712 `Application` message; the
    ///         relayer pays gas. Nonces and the deadline stop replay.
    function submitApplicationFor(
        ApplicationInput calldata input,
        address applicant,
        uint256 deadline,
        bytes calldata signature
    )
        external
        returns (uint256 id);

    /// @notice Resubmit a returned application with corrected content.
    function resubmit(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external;

    /// @notice File an objection during the public-notice window.
    function fileObjection(uint256 id, bytes32 evidenceHash) external returns (uint256 objectionId);

    /// @notice Record a new version of an issued asset (new dataset fingerprint and/or metadata).
    function change(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external;

    /// @notice The holder cancels its certificate (注销).
    function cancel(uint256 id, bytes32 reasonHash) external;

    // --- registrar ----------------------------------------------------------------------
    // Every registrar action needs the caller to be staff of the application's registrar, and
    // that registrar active (the authority reverts `AuthorityRegistrarRetired` otherwise).

    /// @notice Accept a submitted application for review.
    function accept(uint256 id) external;
    /// @notice Return a submitted or accepted application for correction.
    function returnForCorrection(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;
    /// @notice Reject a submitted or accepted application.
    function reject(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;
    /// @notice Open the public notice of an accepted application.
    function openNotice(uint256 id) external;
    /// @notice Give `party` standing to object (registrars whose objections are not open to all).
    function grantStanding(uint256 id, address party) external;
    /// @notice Rule on an open objection: upheld rejects the application.
    function ruleObjection(uint256 objectionId, bool upheld, bytes32 reasonHash) external;
    /// @notice Issue the certificate once the notice ended without open objections.
    function issue(uint256 id) external returns (uint64 number);
    /// @notice Issue several certificates of the caller's registrar in one transaction.
    function issueBatch(uint256[] calldata ids) external;
    /// @notice Correct an issued certificate's content (a new version marked as a correction).
    function correct(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external;
    /// @notice Renew within the renewal window before expiry: validity becomes
    ///         min(now + validityPeriod, cap); `sourceAgreementEnd` 0 keeps the current cap.
    function renew(uint256 id, uint48 sourceAgreementEnd) external;
    /// @notice Revoke (撤销) an issued certificate that is neither pledged nor frozen.
    function revoke(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;
    /// @notice Revoke a pledged or frozen certificate under a recorded ruling (`rulingHash` non-zero).
    function revokeEncumbered(uint256 id, uint16 reasonCode, bytes32 reasonHash, bytes32 rulingHash) external;

    // --- anyone -------------------------------------------------------------------------

    /// @notice Close an expired certificate: burn it and settle its pledge and licences.
    function closeExpired(uint256 id) external;

    // --- views --------------------------------------------------------------------------

    function registration(uint256 id) external view returns (Registration memory);
    function statusOf(uint256 id) external view returns (Status);
    function versionOf(uint256 id, uint32 version) external view returns (bytes32 fingerprint, bytes32 metadataHash);
    function objection(uint256 objectionId) external view returns (Objection memory);
    function registrationNumber(uint256 id) external view returns (uint64);
    function certificateNumber(uint256 id) external view returns (uint64);
    function idOfRegistrationNumber(uint64 number) external view returns (uint256);
    function idOfCertificateNumber(uint64 number) external view returns (uint256);
    function applicationNonce(address applicant) external view returns (uint256);
    function validityPeriod() external view returns (uint48);
    function renewalWindow() external view returns (uint48);
    /// @notice The live registration backed by `fingerprint` (0: none).
    function liveRegistrationOf(bytes32 fingerprint) external view returns (uint256 id);
}
