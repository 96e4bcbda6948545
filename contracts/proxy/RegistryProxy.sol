// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @title RegistryProxy
/// @notice The ERC-1967 proxy every upgradeable registry contract lives behind: its address and
///         storage stay, its implementation changes only through the implementation's UUPS
///         `upgradeToAndCall`, which the registry's admin alone may call. OpenZeppelin's proxy,
///         named so that the deployment manifest and block explorers show what it is.
contract RegistryProxy is ERC1967Proxy {
    /// @param implementation the first implementation
    /// @param data           its initializer call, run in the proxy's context at deployment
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}
