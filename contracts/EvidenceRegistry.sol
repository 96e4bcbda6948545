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

    mapping(bytes32 fingerprint => Evidence record) private _evidence;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    function initialize(IRegistryAuthority authority_) external initializer {
        __RegistryModule_init(authority_);
        __EIP712_init("dareg.EvidenceRegistry", "1");
    }

    /// @inheritdoc IEvidenceRegistry
    function anchor(bytes32 fingerprint) external {
        _anchor(fingerprint, msg.sender);
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorFor(bytes32 fingerprint, address anchorer, uint256 deadline, bytes calldata signature)
        external
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
        return _evidence[fingerprint];
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorNonce(address anchorer) external view returns (uint256) {
        return nonces(anchorer);
    }

    /// @inheritdoc IEvidenceRegistry
    function anchoredBy(bytes32 fingerprint, address anchorer) external view returns (uint48) {
        Evidence storage e = _evidence[fingerprint];
        return e.anchorer == anchorer ? e.anchoredAt : 0;
    }

    function _anchor(bytes32 fingerprint, address anchorer) private {
        if (fingerprint == bytes32(0)) revert EvidenceZeroFingerprint();
        if (anchorer == address(0)) revert EvidenceInvalidAnchorer(anchorer);
        Evidence storage existing = _evidence[fingerprint];
        if (existing.anchorer != address(0)) {
            revert EvidenceAlreadyAnchored(fingerprint, existing.anchorer, existing.anchoredAt);
        }
        uint48 nowTs = SafeCast.toUint48(block.timestamp);
        _evidence[fingerprint] =
            Evidence({anchorer: anchorer, anchoredAt: nowTs, blockNumber: SafeCast.toUint48(block.number)});
        emit EvidenceAnchored(fingerprint, anchorer, msg.sender, nowTs);
    }
}
