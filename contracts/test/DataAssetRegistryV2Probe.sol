// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DataAssetRegistry} from "../DataAssetRegistry.sol";

/// @title DataAssetRegistryV2Probe
/// @notice TEST ONLY, never deployed by the registry: the "next version" of DataAssetRegistry
///         that tests/registry/chain/test_upgrade.py upgrades a filled registry to. It is the
///         current implementation plus one view, so after the upgrade every record must read
///         back unchanged through the old views while the new code answers {upgradeProbe}.
///         Its layout is the registry's by inheritance; scripts/check-upgrades checks it like any
///         upgradeable contract (no upgrades-from reference: Hardhat compiles the registry
///         twice, once in the probe's build, and the reference would be ambiguous). It needs no
///         initializer of its own: the proxy it upgrades was initialised by the version before.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract DataAssetRegistryV2Probe is DataAssetRegistry {
    /// @param forwarder the registry's ERC-2771 forwarder (the same as the replaced version's)
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) DataAssetRegistry(forwarder) {}

    /// @notice Answers only once the proxy runs this implementation.
    /// @return the probe's version, 2
    function upgradeProbe() external pure returns (uint256) {
        return 2;
    }
}
