// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title RegistryForwarder
/// @notice The registry's ERC-2771 forwarder: a party signs an EIP-712 `ForwardRequest` (its
///         nonce and a deadline included) and the registry's operator submits it, so holders,
///         licensees and pledgees act without holding gas. The registry's contracts trust only
///         this forwarder and read the signer as the caller. OpenZeppelin's implementation,
///         named for this registry's EIP-712 domain ("dareg.Forwarder", version "1").
contract RegistryForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("dareg.Forwarder") {}
}
