// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RegistryModule} from "../../base/RegistryModule.sol";
import {IRegistryAuthority} from "../../interfaces/IRegistryAuthority.sol";

/// @title UnsafeUpgradeFixture
/// @notice TEST ONLY, deliberately NOT upgrade-safe: `scripts/check-upgrades` leaves
///         `contracts/test/unsafe/` out of the CI run, and tests/contracts/test_check_upgrades.py
///         shows that it fails once asked to check this contract. The value assigned at the
///         declaration of `_limit` is written by the implementation's constructor into the
///         implementation's own storage, never into a proxy's: behind a proxy it reads 0.
contract UnsafeUpgradeFixture is RegistryModule {
    uint256 private _limit = 100;

    /// @param forwarder the registry's ERC-2771 forwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles and the pause
    function initialize(IRegistryAuthority authority_) external initializer {
        __RegistryModule_init(authority_);
    }

    /// @notice The limit, 100 in the implementation and 0 behind a proxy.
    /// @return the limit
    function limit() external view returns (uint256) {
        return _limit;
    }
}
