// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";
import {ITransferAgent} from "./interfaces/ITransferAgent.sol";
import {RegistryNumbers} from "./libraries/RegistryNumbers.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title LicenceRegistry
/// @notice Licences and sublicences of certificates' usage rights. See {ILicenceRegistry}.
/// @dev Every write costs constant gas in the number of licences a certificate has: exclusivity
///      is judged against one summary slot per (certificate, level, right) (see {_checkExclusivity}),
///      and the licences of a level are chained through their records, so no write path reads a
///      per-certificate list.
contract LicenceRegistry is ILicenceRegistry, RegistryModule {
    /// @notice Longest sublicence chain (a direct licence has depth 1).
    uint256 public constant MAX_DEPTH = 8;
    uint8 private constant _PROCESSING_USE = 2;
    uint8 private constant _PRODUCT_OPERATION = 4;

    /// @dev A licence as stored. A direct licence stores no licensor: its licensor is whoever holds
    ///      the certificate now. `nextId` chains the licences of one level in grant order.
    struct StoredLicence {
        uint256 tokenId;
        uint256 parentId;
        address licensor;
        uint48 grantedAt;
        uint48 start;
        address licensee;
        uint48 end;
        uint8 right;
        bool exclusive;
        bool sublicensable;
        LicenceStatus status;
        uint64 purposes;
        uint64 territories;
        uint32 nextId;
        bytes32 termsHash;
        bytes32 feeTermsHash;
    }

    /// @dev One slot per (certificate, level, right), a level being the holder's direct licences
    ///      (parentId 0) or the sublicences of one parent. The level's licences form a chain in
    ///      grant order (`firstId`, each record's `nextId`, `lastId`). For the exclusivity check,
    ///      each group (the exclusive licences, the non-exclusive ones) keeps how many of its
    ///      licences are active (status Active, expired or not) and a window [from, until]
    ///      covering the terms of all of them: widened on every grant, cleared when the count
    ///      returns to zero, never narrowed otherwise (conservative). Ids fit 32 bits (voucher
    ///      numbers carry 9 digits of them) and times 32 bits (until 2106).
    struct Level {
        uint32 firstId;
        uint32 lastId;
        uint32 exclusiveCount;
        uint32 exclusiveFrom;
        uint32 exclusiveUntil;
        uint32 sharedCount;
        uint32 sharedFrom;
        uint32 sharedUntil;
    }

    /// @custom:storage-location erc7201:dareg.storage.LicenceRegistry
    struct LicenceStorage {
        ICertificateLedger ledger;
        uint256 lastId;
        mapping(uint256 licenceId => StoredLicence record) licences;
        mapping(uint256 tokenId => mapping(uint256 parentId => mapping(uint8 right => Level level))) levels;
        mapping(uint256 tokenId => mapping(address licensee => mapping(uint8 right => uint256 licenceId))) latest;
        mapping(uint256 tokenId => uint8 endStatus) settled;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.LicenceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _LICENCE_STORAGE = 0x6d974e608d2c3a8428e912035ef2cbd2310d4dc63455a10930ae734bf5d0b700;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    /// @param ledger     the certificate contract whose rights are licensed
    function initialize(IRegistryAuthority authority_, ICertificateLedger ledger) external initializer {
        __RegistryModule_init(authority_);
        _storage().ledger = ledger;
    }

    /// @inheritdoc ILicenceRegistry
    function grantLicence(uint256 tokenId, LicenceInput calldata input) external whenNotPaused returns (uint256) {
        ICertificateLedger ledger = _storage().ledger;
        // slither-disable-next-line unused-return
        (address holder, IDataAssetRegistry.Status status,, uint48 validUntil, uint8 rights) =
            ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert LicenceCertificateNotIssued(tokenId, uint8(status));
        if (holder != _msgSender()) revert LicenceNotHolder(tokenId, _msgSender());
        if (input.right != _PROCESSING_USE && input.right != _PRODUCT_OPERATION) revert LicenceInvalidRight(input.right);
        if (rights & input.right == 0) revert LicenceRightNotCertified(tokenId, input.right);
        _checkInput(input, holder);
        if (input.end > validUntil) revert LicenceOutlastsCertificate(input.end, validUntil);
        ITransferAgent agent = ITransferAgent(ledger.transferAgent());
        if (agent.freezeOf(tokenId).frozen) revert ITransferAgent.AgentFrozen(tokenId);
        uint256 id = _record(tokenId, 0, address(0), holder, input);
        // interaction last: the agent refuses (reverting the grant) while frozen or pledged without consent
        if (input.exclusive) agent.authorizeExclusiveLicence(tokenId, input.licensee);
        return id;
    }

    /// @inheritdoc ILicenceRegistry
    function grantSublicence(uint256 parentId, LicenceInput calldata input) external whenNotPaused returns (uint256) {
        StoredLicence storage parent = _existing(parentId);
        address sender = _msgSender();
        if (parent.licensee != sender) revert LicenceNotLicensee(parentId, sender);
        if (!parent.sublicensable) revert LicenceNotSublicensable(parentId);
        if (parent.status != LicenceStatus.Active || !isLive(parentId)) revert LicenceParentNotActive(parentId);
        if (_depth(parentId) >= MAX_DEPTH) revert LicenceChainTooDeep(parentId);
        _checkInput(input, sender);
        if (input.right != parent.right) revert LicenceExceedsParent(parentId, "right");
        if (input.purposes & ~parent.purposes != 0) revert LicenceExceedsParent(parentId, "purposes");
        if (input.territories & ~parent.territories != 0) revert LicenceExceedsParent(parentId, "territories");
        if (input.start < parent.start || input.end > parent.end) revert LicenceExceedsParent(parentId, "term");
        if (input.exclusive && !parent.exclusive) revert LicenceExceedsParent(parentId, "exclusive");
        uint256 tokenId = parent.tokenId;
        if (ITransferAgent(_storage().ledger.transferAgent()).freezeOf(tokenId).frozen) {
            revert ITransferAgent.AgentFrozen(tokenId);
        }
        return _record(tokenId, parentId, sender, sender, input);
    }

    /// @inheritdoc ILicenceRegistry
    function terminate(uint256 licenceId, bytes32 reasonHash) external whenNotPaused {
        StoredLicence storage l = _existing(licenceId);
        address sender = _msgSender();
        if (sender != _licensorOf(l) && sender != l.licensee) revert LicenceNotParty(licenceId, sender);
        if (l.status != LicenceStatus.Active || _storage().settled[l.tokenId] != 0) revert LicenceNotActive(licenceId);
        l.status = LicenceStatus.Terminated;
        Level storage level = _storage().levels[l.tokenId][l.parentId][l.right];
        if (l.exclusive) {
            if (--level.exclusiveCount == 0) (level.exclusiveFrom, level.exclusiveUntil) = (0, 0);
        } else if (--level.sharedCount == 0) {
            (level.sharedFrom, level.sharedUntil) = (0, 0);
        }
        emit LicenceTerminated(licenceId, l.tokenId, sender, reasonHash);
    }

    /// @inheritdoc ILicenceRegistry
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external whenNotPaused {
        LicenceStorage storage $ = _storage();
        if (msg.sender != address($.ledger)) revert LicenceUnauthorizedModule(msg.sender);
        if (
            endStatus != uint8(IDataAssetRegistry.Status.Cancelled) && endStatus != uint8(IDataAssetRegistry.Status.Revoked)
                && endStatus != uint8(IDataAssetRegistry.Status.Expired)
        ) revert LicenceInvalidEndStatus(tokenId, endStatus);
        if ($.settled[tokenId] != 0) return; // settled once: the first end stands
        $.settled[tokenId] = endStatus;
        emit LicencesSettled(tokenId, endStatus);
    }

    /// @inheritdoc ILicenceRegistry
    function hasLiveLicence(uint256 tokenId, address licensee, uint8 right) external view returns (bool) {
        uint256 id = _storage().latest[tokenId][licensee][right];
        return id != 0 && isLive(id);
    }

    /// @inheritdoc ILicenceRegistry
    function licence(uint256 licenceId) external view returns (Licence memory) {
        return _view(_existing(licenceId));
    }

    /// @inheritdoc ILicenceRegistry
    function isLive(uint256 licenceId) public view returns (bool) {
        LicenceStorage storage $ = _storage();
        StoredLicence storage l = $.licences[licenceId];
        if (l.status != LicenceStatus.Active || $.settled[l.tokenId] != 0) return false;
        // slither-disable-next-line timestamp
        if (block.timestamp < l.start || block.timestamp > l.end) return false;
        if (l.parentId != 0) return isLive(l.parentId);
        // slither-disable-next-line unused-return
        (, IDataAssetRegistry.Status status,,,) = $.ledger.certificateState(l.tokenId);
        return status == IDataAssetRegistry.Status.Issued;
    }

    /// @inheritdoc ILicenceRegistry
    function settledStatusOf(uint256 tokenId) external view returns (uint8) {
        return _storage().settled[tokenId];
    }

    /// @inheritdoc ILicenceRegistry
    /// @dev Walks the chains of the direct licences of both rights and, depth first, of every
    ///      licence's sublicences (a view: its cost grows with the licences listed).
    function licencesOf(uint256 tokenId) external view returns (uint256[] memory ids) {
        uint256 n = _countLevel(tokenId, 0, _PROCESSING_USE) + _countLevel(tokenId, 0, _PRODUCT_OPERATION);
        ids = new uint256[](n);
        uint256 next = _listLevel(tokenId, 0, _PROCESSING_USE, ids, 0);
        _listLevel(tokenId, 0, _PRODUCT_OPERATION, ids, next);
        _sort(ids);
    }

    /// @inheritdoc ILicenceRegistry
    function voucherNumber(uint256 licenceId) public view returns (uint64) {
        StoredLicence storage l = _existing(licenceId);
        return RegistryNumbers.voucherNumber(l.grantedAt, l.right, l.exclusive, licenceId);
    }

    function _record(
        uint256 tokenId,
        uint256 parentId,
        address storedLicensor,
        address licensor,
        LicenceInput calldata input
    ) private returns (uint256 id) {
        LicenceStorage storage $ = _storage();
        Level storage level = $.levels[tokenId][parentId][input.right];
        _checkExclusivity(tokenId, level, input);
        id = ++$.lastId;
        uint48 nowTs = uint48(block.timestamp);
        StoredLicence storage l = $.licences[id];
        l.tokenId = tokenId;
        l.parentId = parentId;
        l.licensor = storedLicensor;
        l.grantedAt = nowTs;
        l.start = input.start;
        l.licensee = input.licensee;
        l.end = input.end;
        l.right = input.right;
        l.exclusive = input.exclusive;
        l.sublicensable = input.sublicensable;
        l.status = LicenceStatus.Active;
        l.purposes = input.purposes;
        l.territories = input.territories;
        l.termsHash = input.termsHash;
        l.feeTermsHash = input.feeTermsHash;
        _link(level, id);
        _widen(level, input);
        $.latest[tokenId][input.licensee][input.right] = id;
        Licence memory granted = _view(l);
        granted.licensor = licensor;
        emit LicenceGranted(
            id, tokenId, input.licensee, RegistryNumbers.voucherNumber(nowTs, input.right, input.exclusive, id), granted, licensor
        );
    }

    /// @dev Appends licence `id` to its level's chain.
    function _link(Level storage level, uint256 id) private {
        uint32 id32 = SafeCast.toUint32(id);
        uint32 last = level.lastId;
        if (last == 0) level.firstId = id32;
        else _storage().licences[last].nextId = id32;
        level.lastId = id32;
    }

    /// @dev Counts the new licence in its group and widens the group's window to its term.
    function _widen(Level storage level, LicenceInput calldata input) private {
        uint32 start = SafeCast.toUint32(input.start);
        uint32 end = SafeCast.toUint32(input.end);
        if (input.exclusive) {
            if (level.exclusiveCount == 0 || start < level.exclusiveFrom) level.exclusiveFrom = start;
            if (end > level.exclusiveUntil) level.exclusiveUntil = end;
            ++level.exclusiveCount;
        } else {
            if (level.sharedCount == 0 || start < level.sharedFrom) level.sharedFrom = start;
            if (end > level.sharedUntil) level.sharedUntil = end;
            ++level.sharedCount;
        }
    }

    function _checkInput(LicenceInput calldata input, address licensor) private view {
        if (input.licensee == address(0) || input.licensee == licensor) revert LicenceInvalidLicensee(input.licensee);
        // slither-disable-next-line timestamp
        if (input.end <= input.start || input.end <= block.timestamp) revert LicenceInvalidTerm(input.start, input.end);
        if (input.purposes == 0 || input.territories == 0) revert LicenceInvalidScope();
        if (input.termsHash == bytes32(0)) revert LicenceZeroTerms();
    }

    /// @dev Licences granted at one level (the holder's direct licences, parentId 0, or the
    ///      sublicences of one parent) of one right whose terms overlap may coexist only if neither
    ///      is exclusive. Levels need no cross-check: a sublicence stays inside its parent's term.
    ///      Constant gas: the new licence is checked against the window of the level's active
    ///      exclusive licences (and, if it is exclusive itself, of the active non-exclusive ones),
    ///      a window whose term overlaps the new one and has not ended is a conflict. The window
    ///      covers every active licence of its group, so no true conflict passes; it may be wider
    ///      than the licences still in it (conservative) when some of a group's licences were
    ///      terminated while others stayed active, until the group has none active again.
    function _checkExclusivity(uint256 tokenId, Level storage level, LicenceInput calldata input) private view {
        Level memory l = level;
        // licence terms are whole days: a block producer's few seconds of clock drift do not matter
        // slither-disable-next-line timestamp
        if (_overlaps(l.exclusiveCount, l.exclusiveFrom, l.exclusiveUntil, input)) {
            revert LicenceExclusiveConflict(tokenId, input.right, l.exclusiveFrom, l.exclusiveUntil);
        }
        // slither-disable-next-line timestamp
        if (input.exclusive && _overlaps(l.sharedCount, l.sharedFrom, l.sharedUntil, input)) {
            revert LicenceExclusiveConflict(tokenId, input.right, l.sharedFrom, l.sharedUntil);
        }
    }

    function _overlaps(uint32 count, uint32 from, uint32 until, LicenceInput calldata input)
        private
        view
        returns (bool)
    {
        // slither-disable-next-line timestamp
        return count != 0 && from <= input.end && input.start <= until && until >= block.timestamp;
    }

    function _licensorOf(StoredLicence storage l) private view returns (address) {
        if (l.parentId != 0) return l.licensor;
        // slither-disable-next-line unused-return
        (address holder,,,,) = _storage().ledger.certificateState(l.tokenId);
        return holder;
    }

    /// @dev The public record: a direct licence's licensor is the current holder, and an active
    ///      licence of a certificate whose end was settled reads as Settled.
    function _view(StoredLicence storage l) private view returns (Licence memory v) {
        v.tokenId = l.tokenId;
        v.parentId = l.parentId;
        v.licensor = _licensorOf(l);
        v.grantedAt = l.grantedAt;
        v.start = l.start;
        v.licensee = l.licensee;
        v.end = l.end;
        v.right = l.right;
        v.exclusive = l.exclusive;
        v.sublicensable = l.sublicensable;
        v.status = l.status;
        if (v.status == LicenceStatus.Active && _storage().settled[l.tokenId] != 0 ) {
            v.status = LicenceStatus.Settled;
        }
        v.purposes = l.purposes;
        v.territories = l.territories;
        v.termsHash = l.termsHash;
        v.feeTermsHash = l.feeTermsHash;
    }

    function _countLevel(uint256 tokenId, uint256 parentId, uint8 right) private view returns (uint256 n) {
        LicenceStorage storage $ = _storage();
        for (uint256 id = $.levels[tokenId][parentId][right].firstId; id != 0; id = $.licences[id].nextId) {
            n += 1 + _countLevel(tokenId, id, right);
        }
    }

    function _listLevel(uint256 tokenId, uint256 parentId, uint8 right, uint256[] memory ids, uint256 next)
        private
        view
        returns (uint256)
    {
        LicenceStorage storage $ = _storage();
        for (uint256 id = $.levels[tokenId][parentId][right].firstId; id != 0; id = $.licences[id].nextId) {
            ids[next++] = id;
            next = _listLevel(tokenId, id, right, ids, next);
        }
        return next;
    }

    /// @dev Ascending order (heap sort: O(n log n) in a view).
    function _sort(uint256[] memory a) private pure {
        uint256 n = a.length;
        for (uint256 i = n / 2; i > 0; --i) {
            _siftDown(a, i - 1, n);
        }
        for (uint256 end = n; end > 1; --end) {
            (a[0], a[end - 1]) = (a[end - 1], a[0]);
            _siftDown(a, 0, end - 1);
        }
    }

    function _siftDown(uint256[] memory a, uint256 root, uint256 n) private pure {
        while (true) {
            uint256 child = 2 * root + 1;
            if (child >= n) return;
            if (child + 1 < n && a[child + 1] > a[child]) ++child;
            if (a[root] >= a[child]) return;
            (a[root], a[child]) = (a[child], a[root]);
            root = child;
        }
    }

    function _depth(uint256 licenceId) private view returns (uint256 depth) {
        LicenceStorage storage $ = _storage();
        while (licenceId != 0) {
            ++depth;
            licenceId = $.licences[licenceId].parentId;
        }
    }

    function _existing(uint256 licenceId) private view returns (StoredLicence storage l) {
        l = _storage().licences[licenceId];
        if (l.status == LicenceStatus.None) revert LicenceUnknown(licenceId);
    }

    function _storage() private pure returns (LicenceStorage storage $) {
        assembly {
            $.slot := _LICENCE_STORAGE
        }
    }
}
