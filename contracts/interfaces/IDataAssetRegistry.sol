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
///          | cancel (holder) | revoke (registrar); Expired is derived from time, no job needed.
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

    /// @notice Stored states; `Expired` is only ever reported by {statusOf}, never stored.
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

    event ValidityPeriodSet(uint48 validityPeriod);
    event BaseURISet(string baseURI);

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
    event ApplicationAccepted(uint256 indexed id, address indexed registrar);
    event ApplicationReturned(uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash);
    event ApplicationResubmitted(uint256 indexed id, bytes32 fingerprint, bytes32 metadataHash);
    event ApplicationRejected(uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash);
    event NoticeOpened(uint256 indexed id, address indexed registrar, uint48 noticeStart, uint48 noticeEnd);
    event ObjectionFiled(
        uint256 indexed objectionId, uint256 indexed id, address indexed objector, bytes32 evidenceHash
    );
    event ObjectionRuled(
        uint256 indexed objectionId, uint256 indexed id, bool upheld, bytes32 reasonHash, address registrar
    );
    event StandingGranted(uint256 indexed id, address indexed party);
    event CertificateIssued(
        uint256 indexed id,
        address indexed holder,
        uint64 certificateNumber,
        uint48 issuedAt,
        uint48 validUntil,
        bytes32 fingerprint,
        bytes32 metadataHash
    );
    event AssetChanged(
        uint256 indexed id, uint32 version, bytes32 fingerprint, bytes32 metadataHash, bool correction, address by
    );
    event CertificateRenewed(uint256 indexed id, uint48 validUntil, uint48 sourceAgreementEnd);
    event CertificateCancelled(uint256 indexed id, address indexed holder, bytes32 reasonHash);
    event CertificateRevoked(uint256 indexed id, address indexed registrar, uint16 reasonCode, bytes32 reasonHash);

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
    error RegistryEvidenceNotAnchored(bytes32 fingerprint);
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

    function accept(uint256 id) external;
    function returnForCorrection(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;
    function reject(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;
    function openNotice(uint256 id) external;
    function grantStanding(uint256 id, address party) external;
    function ruleObjection(uint256 objectionId, bool upheld, bytes32 reasonHash) external;
    function issue(uint256 id) external returns (uint64 number);
    function issueBatch(uint256[] calldata ids) external;
    function correct(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external;
    function renew(uint256 id, uint48 sourceAgreementEnd) external;
    function revoke(uint256 id, uint16 reasonCode, bytes32 reasonHash) external;

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
}
