// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDataAssetRegistry} from "./IDataAssetRegistry.sol";

/// @title ICertificateLedger
/// @notice What the certificate contract offers its modules (the transfer agent and the licence
///         registry): a lean read of a certificate's state and the one way to move a token. Roles
///         are read through the contract's IAccessControl.
interface ICertificateLedger {
    /// @notice The modules were set (once) by the admin.
    event ModulesSet(address transferAgent, address licenceRegistry);

    /// @notice Only the transfer agent moves certificates (plain ERC-721 transfers are disabled).
    error LedgerTransferViaAgentOnly(uint256 tokenId, address caller);
    /// @notice The modules are already set, or an address is zero.
    error LedgerModulesLocked();

    /// @notice Holder, effective status (incl. Expired), classification, validity end and certified rights.
    function certificateState(uint256 tokenId)
        external
        view
        returns (
            address holder,
            IDataAssetRegistry.Status status,
            IDataAssetRegistry.Classification level,
            uint48 validUntil,
            uint8 rights
        );

    function registration(uint256 id) external view returns (IDataAssetRegistry.Registration memory);
    function transferAgent() external view returns (address);
    function licenceRegistry() external view returns (address);

    /// @notice Move `tokenId` to `to`; callable only by the transfer agent, after its checks.
    function moveCertificate(address to, uint256 tokenId) external;
}
