// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";

/// @title EvidenceRegistry
/// @notice Write-once register of dataset fingerprints (存证). See {IEvidenceRegistry}.
contract EvidenceRegistry is IEvidenceRegistry, EIP712Upgradeable, NoncesUpgradeable, RegistryModule {
    bytes32 private constant _ANCHOR_TYPEHASH =
        keccak256("Anchor(bytes32 fingerprint,address anchorer,uint256 nonce,uint256 deadline)");

    /// @custom:storage-location erc7201:dareg.storage.EvidenceRegistry
    struct EvidenceStorage {
        mapping(bytes32 fingerprint => Evidence record) first;
        mapping(bytes32 fingerprint => mapping(address anchorer => uint48 anchoredAt)) anchoredAt;
        mapping(bytes32 fingerprint => uint256 count) anchorCount;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.EvidenceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _EVIDENCE_STORAGE = 0x3ff885c076a52d17f609295057cf2a54661ee115874108ad335170068f930a00;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    function initialize(IRegistryAuthority authority_) external initializer {
        __RegistryModule_init(authority_);
        __EIP712_init("dareg.EvidenceRegistry", "1");
    }

    /// @inheritdoc IEvidenceRegistry
    function anchor(bytes32 fingerprint) external whenNotPaused {
        _anchor(fingerprint, _msgSender());
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorFor(bytes32 fingerprint, address anchorer, uint256 deadline, bytes calldata signature)
        external
        whenNotPaused
    {
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) revert EvidenceExpiredSignature(deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(_ANCHOR_TYPEHASH, fingerprint, anchorer, _useNonce(anchorer), deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(anchorer, digest, signature)) {
            revert EvidenceInvalidSignature(anchorer);
        }
        _anchor(fingerprint, anchorer);
    }

    /// @inheritdoc IEvidenceRegistry
    function evidenceOf(bytes32 fingerprint) external view returns (Evidence memory) {
        return _storage().first[fingerprint];
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorCountOf(bytes32 fingerprint) external view returns (uint256) {
        return _storage().anchorCount[fingerprint];
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorNonce(address anchorer) external view returns (uint256) {
        return nonces(anchorer);
    }

    /// @inheritdoc IEvidenceRegistry
    function anchoredBy(bytes32 fingerprint, address anchorer) external view returns (uint48) {
        return _storage().anchoredAt[fingerprint][anchorer];
    }

    function _anchor(bytes32 fingerprint, address anchorer) private {
        if (fingerprint == bytes32(0)) revert EvidenceZeroFingerprint();
        if (anchorer == address(0)) revert EvidenceInvalidAnchorer(anchorer);
        EvidenceStorage storage $ = _storage();
        uint48 before = $.anchoredAt[fingerprint][anchorer];
        if (before != 0) revert EvidenceAlreadyAnchored(fingerprint, anchorer, before);
        uint48 nowTs = SafeCast.toUint48(block.timestamp);
        $.anchoredAt[fingerprint][anchorer] = nowTs;
        // the first anchor stays the public record of when the fingerprint was first vouched for
        if (++$.anchorCount[fingerprint] == 1) {
            $.first[fingerprint] =
                Evidence({anchorer: anchorer, anchoredAt: nowTs, blockNumber: SafeCast.toUint48(block.number)});
        }
        emit EvidenceAnchored(fingerprint, anchorer, _msgSender(), nowTs);
    }

    function _storage() private pure returns (EvidenceStorage storage $) {
        assembly {
            $.slot := _EVIDENCE_STORAGE
        }
    }
}
