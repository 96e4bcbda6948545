// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";
import {ILicenceRegistry} from "../interfaces/ILicenceRegistry.sol";
import {DataAssetRegistryStorage} from "./RegistryStorage.sol";

/// @title RegistryRules
/// @notice Checks shared by the DataAssetRegistry and its libraries (internal: inlined into each).
library RegistryRules {
    uint8 private constant _PROCESSING_USE = 2;

    /// @dev The fingerprint index's "no live registration, slot reserved" mark: an application
    ///      reserves (makes non-zero) its fingerprint's slot, so issuance updates the slot rather
    ///      than creating it (the applicant pays the new storage, not the registrar's issuance).
    uint256 internal constant FINGERPRINT_RESERVED = type(uint256).max;

    /// @dev The registration `id`; reverts for an id never submitted.
    function existing(DataAssetRegistryStorage.Layout storage $, uint256 id)
        internal
        view
        returns (IDataAssetRegistry.Registration storage r)
    {
        r = $.registrations[id];
        if (r.status == IDataAssetRegistry.Status.None) revert IDataAssetRegistry.RegistryUnknownRegistration(id);
    }

    /// @dev The registration `id`, acted on by `sender`, staff of its (active) registrar.
    function asRegistrar(DataAssetRegistryStorage.Layout storage $, IRegistryAuthority auth, uint256 id, address sender)
        internal
        view
        returns (IDataAssetRegistry.Registration storage r)
    {
        r = existing($, id);
        if (auth.activeRegistrarCodeOf(sender) != r.registrarCode) {
            revert IDataAssetRegistry.RegistryNotRegistrarOf(sender, r.registrarCode);
        }
    }

    function requireStatus(IDataAssetRegistry.Registration storage r, uint256 id, IDataAssetRegistry.Status expected)
        internal
        view
    {
        if (r.status != expected) revert IDataAssetRegistry.RegistryWrongStatus(id, r.status);
    }

    /// @dev Issued and not expired.
    function requireLive(IDataAssetRegistry.Registration storage r, uint256 id) internal view {
        requireStatus(r, id, IDataAssetRegistry.Status.Issued);
        // slither-disable-next-line timestamp
        if (block.timestamp > r.validUntil) revert IDataAssetRegistry.RegistryExpired(id, r.validUntil);
    }

    /// @dev Whether `r` is in force: issued and not expired.
    function isLive(IDataAssetRegistry.Registration storage r) internal view returns (bool) {
        // slither-disable-next-line timestamp
        return r.status == IDataAssetRegistry.Status.Issued && block.timestamp <= r.validUntil;
    }

    /// @dev The effective status: Issued past its validity reads Expired.
    function effectiveStatus(IDataAssetRegistry.Registration storage r) internal view returns (IDataAssetRegistry.Status) {
        // slither-disable-next-line timestamp
        if (r.status == IDataAssetRegistry.Status.Issued && block.timestamp > r.validUntil) {
            return IDataAssetRegistry.Status.Expired;
        }
        return r.status;
    }

    /// @dev Content hashes are non-zero; when `registrarCode` (non-zero) requires evidence,
    ///      `account` itself must have anchored the fingerprint.
    function checkContent(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint16 registrarCode,
        bytes32 fingerprint,
        bytes32 metadataHash,
        address account
    ) internal view {
        if (fingerprint == bytes32(0)) revert IDataAssetRegistry.RegistryZeroHash("fingerprint");
        if (metadataHash == bytes32(0)) revert IDataAssetRegistry.RegistryZeroHash("metadataHash");
        if (
            registrarCode != 0 && auth.registrarPolicy(registrarCode).evidenceRequired
                && $.evidence.anchoredBy(fingerprint, account) == 0
        ) revert IDataAssetRegistry.RegistryEvidenceNotAnchored(fingerprint, account);
    }

    /// @dev Each parent is in force and `applicant` holds it or has a live processing-use licence on it.
    function requireLineage(DataAssetRegistryStorage.Layout storage $, uint256[] memory parents, address applicant)
        internal
        view
    {
        uint256 n = parents.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 parentId = parents[i];
            IDataAssetRegistry.Registration storage p = $.registrations[parentId];
            IDataAssetRegistry.Status status = effectiveStatus(p);
            if (status != IDataAssetRegistry.Status.Issued) {
                revert IDataAssetRegistry.RegistryParentNotIssued(parentId, status);
            }
            if (
                p.holder != applicant
                    && !ILicenceRegistry($.licenceRegistry).hasLiveLicence(parentId, applicant, _PROCESSING_USE)
            ) revert IDataAssetRegistry.RegistryParentNotLicensed(parentId, applicant);
        }
    }

    /// @dev Reserve `fingerprint`'s slot in the index (see {FINGERPRINT_RESERVED}).
    function reserveFingerprint(DataAssetRegistryStorage.Layout storage $, bytes32 fingerprint) internal {
        if ($.liveByFingerprint[fingerprint] == 0) $.liveByFingerprint[fingerprint] = FINGERPRINT_RESERVED;
    }
}
