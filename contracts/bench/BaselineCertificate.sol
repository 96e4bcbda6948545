// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title BaselineCertificate
/// @notice Gas baseline for bench/bench_gas.py, never deployed by the registry: the plainest
///         OpenZeppelin certificate, a `_safeMint` plus a per-token URI in storage.
/// @dev `mint` is deliberately unrestricted: an access check would add a storage read to the
///      baseline and flatter the registry's ratio against it.
contract BaselineCertificate is ERC721, ERC721URIStorage {
    constructor() ERC721("Baseline Certificate", "BASE") {}

    /// @notice Mint `tokenId` to `to` and store its metadata URI (the benchmark passes 59 characters).
    function mint(address to, uint256 tokenId, string calldata uri) external {
        _safeMint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }

    /// @inheritdoc ERC721URIStorage
    function tokenURI(uint256 tokenId) public view override(ERC721, ERC721URIStorage) returns (string memory) {
        return super.tokenURI(tokenId);
    }

    /// @inheritdoc ERC721URIStorage
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC721URIStorage) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
