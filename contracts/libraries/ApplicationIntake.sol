// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";
import {DataAssetRegistryStorage} from "./RegistryStorage.sol";
import {RegistryNumbers} from "./RegistryNumbers.sol";
import {RegistryRules} from "./RegistryRules.sol";

/// @title ApplicationIntake
/// @notice The DataAssetRegistry's application intake: validation and recording of applications
///         and resubmissions. Linked library: runs on the registry's storage and emits the
///         registry's events from the registry's address.
library ApplicationIntake {
    uint8 private constant _ALL_RIGHTS = 7;
    uint256 private constant _MAX_ID = 9_999_999; // seven digits in the certificate number

    bytes32 private constant _APPLICATION_TYPEHASH = keccak256(
        "Application(uint16 registrarCode,uint8 kind,uint8 rights,uint8 level,uint8 dataSource,"
        "uint8 applicantType,uint48 sourceAgreementEnd,bytes32 fingerprint,bytes32 metadataHash,"
        "uint256[] parents,address applicant,uint256 nonce,uint256 deadline)"
    );

    /// @notice Check `applicant`'s EIP-712 `Application` signature (under the registry's domain
    ///         separator, with the nonce the registry just used) and its deadline.
    function verifySignature(
        IDataAssetRegistry.ApplicationInput calldata input,
        address applicant,
        uint256 nonce,
        uint256 deadline,
        bytes32 domainSeparator,
        bytes calldata signature
    ) external view {
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) revert IDataAssetRegistry.RegistryExpiredSignature(deadline);
        bytes32 digest =
            MessageHashUtils.toTypedDataHash(domainSeparator, _applicationHash(input, applicant, nonce, deadline));
        if (!SignatureChecker.isValidSignatureNow(applicant, digest, signature)) {
            revert IDataAssetRegistry.RegistryInvalidSignature(applicant);
        }
    }

    /// @notice Record `applicant`'s application, sent by `relayer`; returns the registration id.
    function submit(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        IDataAssetRegistry.ApplicationInput calldata input,
        address applicant,
        address relayer
    ) external returns (uint256 id) {
        if (!auth.registrarPolicy(input.registrarCode).active) {
            revert IDataAssetRegistry.RegistryUnknownRegistrar(input.registrarCode);
        }
        if (input.level == IDataAssetRegistry.Classification.Core) {
            revert IDataAssetRegistry.RegistryCoreDataNotRegistrable();
        }
        if (input.rights == 0 || input.rights > _ALL_RIGHTS) revert IDataAssetRegistry.RegistryInvalidRights(input.rights);
        if (input.dataSource == 0 || input.dataSource > 4) {
            revert IDataAssetRegistry.RegistryInvalidCode("dataSource", input.dataSource);
        }
        if (input.applicantType == 0 || (input.applicantType > 4 && input.applicantType != 9)) {
            revert IDataAssetRegistry.RegistryInvalidCode("applicantType", input.applicantType);
        }
        RegistryRules.checkContent($, auth, input.registrarCode, input.fingerprint, input.metadataHash, applicant);
        uint256 parentCount = input.parents.length;
        if (input.kind == IDataAssetRegistry.AssetKind.Product) {
            if (parentCount == 0) revert IDataAssetRegistry.RegistryProductWithoutParent();
            RegistryRules.requireLineage($, input.parents, applicant);
        } else if (parentCount != 0) {
            revert IDataAssetRegistry.RegistryResourceWithParents(parentCount);
        }
        id = ++$.lastId;
        if (id > _MAX_ID) revert IDataAssetRegistry.RegistryFull(id);
        IDataAssetRegistry.Registration storage r = $.registrations[id];
        r.holder = applicant;
        r.submittedAt = uint48(block.timestamp);
        r.registrarCode = input.registrarCode;
        r.status = IDataAssetRegistry.Status.Submitted;
        r.kind = input.kind;
        r.rights = input.rights;
        r.level = input.level;
        r.sourceAgreementEnd = input.sourceAgreementEnd;
        r.dataSource = input.dataSource;
        r.applicantType = input.applicantType;
        r.fingerprint = input.fingerprint;
        r.metadataHash = input.metadataHash;
        if (parentCount != 0) r.parents = input.parents;
        RegistryRules.reserveFingerprint($, input.fingerprint);
        _emitSubmitted(id, input, applicant, relayer);
    }

    /// @notice The applicant (`sender`) resubmits a returned application with corrected content.
    function resubmit(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        bytes32 fingerprint,
        bytes32 metadataHash,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        if (r.holder != sender) revert IDataAssetRegistry.RegistryNotHolder(id, sender);
        RegistryRules.requireStatus(r, id, IDataAssetRegistry.Status.Returned);
        RegistryRules.checkContent($, auth, r.registrarCode, fingerprint, metadataHash, sender);
        r.fingerprint = fingerprint;
        r.metadataHash = metadataHash;
        r.status = IDataAssetRegistry.Status.Submitted;
        RegistryRules.reserveFingerprint($, fingerprint);
        emit IDataAssetRegistry.ApplicationResubmitted(id, fingerprint, metadataHash, sender);
    }

    function _emitSubmitted(
        uint256 id,
        IDataAssetRegistry.ApplicationInput calldata input,
        address applicant,
        address relayer
    ) private {
        emit IDataAssetRegistry.ApplicationSubmitted(
            id,
            applicant,
            input.registrarCode,
            RegistryNumbers.registrationNumber(uint48(block.timestamp), input.dataSource, input.applicantType, id),
            input.kind,
            input.rights,
            input.level,
            input.dataSource,
            input.applicantType,
            input.sourceAgreementEnd,
            input.fingerprint,
            input.metadataHash,
            input.parents,
            relayer
        );
    }

    function _applicationHash(
        IDataAssetRegistry.ApplicationInput calldata input,
        address applicant,
        uint256 nonce,
        uint256 deadline
    ) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    _APPLICATION_TYPEHASH,
                    input.registrarCode,
                    uint8(input.kind),
                    input.rights,
                    uint8(input.level),
                    input.dataSource,
                    input.applicantType
                ),
                abi.encode(
                    input.sourceAgreementEnd,
                    input.fingerprint,
                    input.metadataHash,
                    keccak256(abi.encodePacked(input.parents)),
                    applicant,
                    nonce,
                    deadline
                )
            )
        );
    }
}
