// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";

/// @title DataAssetRegistryStorage
/// @notice The DataAssetRegistry's state, in one ERC-7201 namespace, shared with the linked
///         libraries that hold its code (they run by DELEGATECALL on the registry's storage).
abstract contract DataAssetRegistryStorage {
    /// @custom:storage-location erc7201:dareg.storage.DataAssetRegistry
    struct Layout {
        IEvidenceRegistry evidence;
        address transferAgent;
        address licenceRegistry;
        uint48 validityPeriod;
        uint48 renewalWindow;
        uint256 lastId;
        uint256 lastObjectionId;
        string baseTokenURI;
        mapping(uint256 id => IDataAssetRegistry.Registration) registrations;
        mapping(uint256 id => mapping(uint32 version => bytes32[2] content)) pastVersions;
        mapping(uint256 objectionId => IDataAssetRegistry.Objection) objections;
        mapping(uint256 id => mapping(address party => bool standing)) standing;
        mapping(bytes32 fingerprint => uint256 id) liveByFingerprint;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.DataAssetRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant _REGISTRY_STORAGE = 0xafc5e2ed4b8981706f30a03459e4eb5702f5de595392439bd799fffa78e9a500;

    function _storage() internal pure returns (Layout storage $) {
        assembly {
            $.slot := _REGISTRY_STORAGE
        }
    }
}
