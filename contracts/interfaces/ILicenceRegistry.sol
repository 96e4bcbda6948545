// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ILicenceRegistry
/// @notice Licences (数据许可) of the processing-use or product-operation right of a certificate,
///         and sublicence chains, all publicly listable (disclosure of authorised operation).
///
/// Rules: the holder grants licences of a right its certificate certifies, within the
/// certificate's validity and while it is issued and not frozen; an exclusive licence conflicts
/// with any other active licence of the same right whose term overlaps (and needs the pledgee's
/// consent while the certificate is pledged), and an exclusive sublicence likewise with the other
/// sublicences of its parent; a licensee of a sublicensable licence may grant
/// sublicences whose purposes, territories and term stay inside its own (a chain of at most
/// {MAX_DEPTH} links). The licensor of a direct licence is whoever holds the certificate now:
/// after a transfer the new holder (never the old one) may terminate it, and {licence} names it.
/// The licensor of a sublicence is the licensee of its parent. Exclusivity is checked in constant
/// gas against a summary of each (certificate, level, right), conservative after some of a
/// level's licences were terminated while others stay active (see the contract). A licence is
/// live while active, inside its term, its parent is live, the certificate is issued and its end
/// was not settled: when a certificate is cancelled, revoked or closed as expired the
/// certificate contract settles every licence and sublicence of it ({LicencesSettled}; they read
/// as {LicenceStatus.Settled} from then on). Purposes and territories are bit sets (codes in docs/licences.md);
/// the machine-readable terms (an ODRL policy) and the fee terms are kept off chain by hash.
/// Voucher numbers: year(4) right(1) exclusive(1) licence id(9) check digit(1), ISO 7064 MOD 11,10.
interface ILicenceRegistry {
    enum LicenceStatus {
        None,
        Active,
        Terminated,
        /// @notice ended with its certificate ({LicencesSettled}); only ever reported, never stored
        Settled
    }

    struct LicenceInput {
        address licensee;
        uint8 right;
        bool exclusive;
        bool sublicensable;
        uint64 purposes;
        uint64 territories;
        uint48 start;
        uint48 end;
        bytes32 termsHash;
        bytes32 feeTermsHash;
    }

    struct Licence {
        uint256 tokenId;
        uint256 parentId;
        address licensor;
        uint48 grantedAt;
        uint48 start;
        address licensee;
        uint48 end;
        uint8 right;
        bool exclusive;
        bool sublicensable;
        LicenceStatus status;
        uint64 purposes;
        uint64 territories;
        bytes32 termsHash;
        bytes32 feeTermsHash;
    }

    /// @notice A licence or sublicence was granted; `licence` is the full record, whose `licensor`
    ///         is the granting holder (direct licence: the licensor passes to later holders) or
    ///         the parent's licensee (sublicence). `relayer` is the granting account (the signer of
    ///         a relayed call), equal to the licensor.
    event LicenceGranted(
        uint256 indexed licenceId,
        uint256 indexed tokenId,
        address indexed licensee,
        uint64 voucherNumber,
        Licence licence,
        address relayer
    );
    /// @notice A party (`by`: the licensee, or the licensor, i.e. the current holder for a
    ///         direct licence) terminated the licence.
    event LicenceTerminated(uint256 indexed licenceId, uint256 indexed tokenId, address indexed by, bytes32 reasonHash);

    /// @notice The certificate ended (cancelled, revoked or closed as expired): every licence and
    ///         sublicence of it ended with it; `endStatus` is the certificate's end.
    event LicencesSettled(uint256 indexed tokenId, uint8 endStatus);

    error LicenceUnknown(uint256 licenceId);
    error LicenceUnauthorizedModule(address caller);
    error LicenceNotHolder(uint256 tokenId, address account);
    error LicenceNotLicensee(uint256 licenceId, address account);
    error LicenceNotParty(uint256 licenceId, address account);
    error LicenceCertificateNotIssued(uint256 tokenId, uint8 status);
    error LicenceRightNotCertified(uint256 tokenId, uint8 right);
    error LicenceInvalidRight(uint8 right);
    error LicenceInvalidTerm(uint48 start, uint48 end);
    error LicenceOutlastsCertificate(uint48 end, uint48 validUntil);
    error LicenceInvalidScope();
    error LicenceInvalidLicensee(address licensee);
    error LicenceZeroTerms();
    /// @notice The new licence's term overlaps the window [busyFrom, busyUntil] of the active
    ///         licences of its level and right it cannot coexist with (an exclusive one, or, for an
    ///         exclusive licence, any).
    error LicenceExclusiveConflict(uint256 tokenId, uint8 right, uint48 busyFrom, uint48 busyUntil);
    /// @notice `endStatus` is not the end of a certificate (Cancelled, Revoked or Expired).
    error LicenceInvalidEndStatus(uint256 tokenId, uint8 endStatus);
    error LicenceNotSublicensable(uint256 parentId);
    error LicenceParentNotActive(uint256 parentId);
    error LicenceExceedsParent(uint256 parentId, string field);
    error LicenceChainTooDeep(uint256 parentId);
    error LicenceNotActive(uint256 licenceId);

    function grantLicence(uint256 tokenId, LicenceInput calldata input) external returns (uint256 licenceId);
    function grantSublicence(uint256 parentId, LicenceInput calldata input) external returns (uint256 licenceId);
    function terminate(uint256 licenceId, bytes32 reasonHash) external;

    /// @notice Called by the certificate contract when a certificate ends: {LicencesSettled}
    ///         (once; a later call is a no-op). `endStatus`: Cancelled, Revoked or Expired.
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external;

    /// @notice Whether `licensee` holds a live licence (direct or sublicence) of `right` on `tokenId`.
    function hasLiveLicence(uint256 tokenId, address licensee, uint8 right) external view returns (bool);

    /// @notice The licence; `licensor` of a direct licence is the certificate's current holder, and
    ///         `status` reads Settled for an active licence whose certificate's end was settled.
    function licence(uint256 licenceId) external view returns (Licence memory);
    /// @notice Whether the licence is active, inside its term, its parent live, the certificate
    ///         issued and not settled.
    function isLive(uint256 licenceId) external view returns (bool);
    /// @notice The certificate's end as settled by {settleCertificateEnd} (0: not settled).
    function settledStatusOf(uint256 tokenId) external view returns (uint8 endStatus);
    /// @notice Every licence and sublicence of `tokenId`, ascending ids.
    function licencesOf(uint256 tokenId) external view returns (uint256[] memory);
    function voucherNumber(uint256 licenceId) external view returns (uint64);
}
