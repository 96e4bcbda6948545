// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {DataAssetRegistryStorage} from "./RegistryStorage.sol";
import {RegistryNumbers} from "./RegistryNumbers.sol";
import {RegistryRules} from "./RegistryRules.sol";

/// @title RegistryViews
/// @notice The DataAssetRegistry's reads of registrations, versions and numbers. Linked library:
///         reads the registry's storage.
library RegistryViews {
    using RegistryRules for IDataAssetRegistry.Registration;

    /// @notice The registration `id` with its effective status (Expired once the validity ended).
    function registration(DataAssetRegistryStorage.Layout storage $, uint256 id)
        external
        view
        returns (IDataAssetRegistry.Registration memory r)
    {
        IDataAssetRegistry.Registration storage stored = RegistryRules.existing($, id);
        r = stored;
        r.status = stored.effectiveStatus();
    }

    /// @notice Fingerprint and metadata hash of version `version` of registration `id`.
    function versionOf(DataAssetRegistryStorage.Layout storage $, uint256 id, uint32 version)
        external
        view
        returns (bytes32, bytes32)
    {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        if (version == r.version) return (r.fingerprint, r.metadataHash);
        if (version == 0 || version > r.version) revert IDataAssetRegistry.RegistryWrongStatus(id, r.status);
        bytes32[2] storage past = $.pastVersions[id][version];
        return (past[0], past[1]);
    }

    /// @notice The 16-digit registration number of registration `id`.
    function registrationNumber(DataAssetRegistryStorage.Layout storage $, uint256 id) public view returns (uint64) {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        return RegistryNumbers.registrationNumber(r.submittedAt, r.dataSource, r.applicantType, id);
    }

    /// @notice The 17-digit certificate number of registration `id` (reverts before issuance).
    function certificateNumber(DataAssetRegistryStorage.Layout storage $, uint256 id) public view returns (uint64) {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        if (r.issuedAt == 0) revert IDataAssetRegistry.RegistryWrongStatus(id, r.status);
        return RegistryNumbers.certificateNumber(r.issuedAt, r.registrarCode, id);
    }

    /// @notice The registration id a registration number names (reverts for an invalid number).
    function idOfRegistrationNumber(DataAssetRegistryStorage.Layout storage $, uint64 number)
        external
        view
        returns (uint256 id)
    {
        if (!RegistryNumbers.hasValidCheckDigit(number, 16)) revert IDataAssetRegistry.RegistryInvalidNumber(number);
        id = (number / 10) % 1e9;
        // slither-disable-next-line incorrect-equality
        if ($.registrations[id].status == IDataAssetRegistry.Status.None || registrationNumber($, id) != number) {
            revert IDataAssetRegistry.RegistryInvalidNumber(number);
        }
    }

    /// @notice The token id a certificate number names (reverts for an invalid number).
    function idOfCertificateNumber(DataAssetRegistryStorage.Layout storage $, uint64 number)
        external
        view
        returns (uint256 id)
    {
        if (!RegistryNumbers.hasValidCheckDigit(number, 17)) revert IDataAssetRegistry.RegistryInvalidNumber(number);
        id = (number / 10) % 1e7;
        IDataAssetRegistry.Registration storage r = $.registrations[id];
        if (r.issuedAt == 0 || RegistryNumbers.certificateNumber(r.issuedAt, r.registrarCode, id) != number) {
            revert IDataAssetRegistry.RegistryInvalidNumber(number);
        }
    }
}
