// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IERC5192
/// @notice ERC-5192 minimal soulbound interface (interface id 0xb45a3c0e).
interface IERC5192 {
    /// @notice `tokenId` became locked (non-transferable through ERC-721).
    event Locked(uint256 tokenId);
    /// @notice `tokenId` became unlocked.
    event Unlocked(uint256 tokenId);

    /// @notice Whether `tokenId` is locked; reverts for a token that does not exist.
    function locked(uint256 tokenId) external view returns (bool);
}
