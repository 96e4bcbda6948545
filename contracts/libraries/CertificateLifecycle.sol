// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";
import {ITransferAgent} from "../interfaces/ITransferAgent.sol";
import {DataAssetRegistryStorage} from "./RegistryStorage.sol";
import {RegistryNumbers} from "./RegistryNumbers.sol";
import {RegistryRules} from "./RegistryRules.sol";

/// @title CertificateLifecycle
/// @notice The DataAssetRegistry's certificate lifecycle: issuance, new versions, renewal and the
///         end of a certificate (cancellation, revocation, closing at expiry). Linked library:
///         runs on the registry's storage and emits the registry's events from the registry's
///         address; the registry mints and burns the tokens. `sender` is the acting account.
library CertificateLifecycle {
    using RegistryRules for IDataAssetRegistry.Registration;

    /// @notice Check and record the issuance of each of `ids` by `sender`, staff of their registrar.
    /// @return holders the holder to mint each certificate to
    function issue(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256[] calldata ids,
        address sender
    ) external returns (address[] memory holders) {
        uint16 code = auth.activeRegistrarCodeOf(sender);
        uint48 period = $.validityPeriod;
        uint256 n = ids.length;
        holders = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            (holders[i],) = _issue($, ids[i], code, period, sender);
        }
    }

    /// @notice {issue} for one certificate, also returning its number.
    function issueOne(DataAssetRegistryStorage.Layout storage $, IRegistryAuthority auth, uint256 id, address sender)
        external
        returns (address holder, uint64 number)
    {
        return _issue($, id, auth.activeRegistrarCodeOf(sender), $.validityPeriod, sender);
    }

    /// @notice Record a new version of an issued asset: by its holder (`correction` false, live
    ///         certificates only, with the pledgee's consent while pledged and never while frozen)
    ///         or by its registrar (`correction` true).
    function newVersion(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        bytes32 fingerprint,
        bytes32 metadataHash,
        bool correction,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r;
        if (correction) {
            r = RegistryRules.asRegistrar($, auth, id, sender);
            r.requireStatus(id, IDataAssetRegistry.Status.Issued);
        } else {
            r = RegistryRules.existing($, id);
            r.requireLive(id);
            if (r.holder != sender) revert IDataAssetRegistry.RegistryNotHolder(id, sender);
        }
        bytes32 previous = r.fingerprint;
        // A new dataset fingerprint is held to the registrar's evidence policy (the holder's anchor).
        RegistryRules.checkContent(
            $, auth, fingerprint == previous ? 0 : r.registrarCode, fingerprint, metadataHash, r.holder
        );
        if (fingerprint != previous) {
            _claimFingerprint($, fingerprint, id);
            if ($.liveByFingerprint[previous] == id) delete $.liveByFingerprint[previous];
        }
        uint32 current = r.version;
        $.pastVersions[id][current] = [previous, r.metadataHash];
        r.fingerprint = fingerprint;
        r.metadataHash = metadataHash;
        r.version = current + 1;
        emit IDataAssetRegistry.AssetChanged(id, current + 1, fingerprint, metadataHash, correction, sender);
        emit IERC4906.MetadataUpdate(id);
        // interaction last: the agent refuses while frozen, and spends the pledgee's consent while pledged
        if (!correction) ITransferAgent($.transferAgent).authorizeChange(id, sender);
    }

    /// @notice A registrar renews a live certificate within the renewal window before its expiry.
    function renew(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        uint48 sourceAgreementEnd,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        r.requireLive(id);
        uint48 expiry = r.validUntil;
        // slither-disable-next-line timestamp
        if (block.timestamp + $.renewalWindow < expiry) {
            revert IDataAssetRegistry.RegistryRenewalWindowNotOpen(id, expiry - $.renewalWindow);
        }
        uint48 cap = sourceAgreementEnd == 0 ? r.sourceAgreementEnd : sourceAgreementEnd;
        uint48 validUntil = _capped(uint48(block.timestamp) + $.validityPeriod, cap);
        if (validUntil <= expiry) revert IDataAssetRegistry.RegistrySourceAgreementEnded(id, cap);
        r.validUntil = validUntil;
        r.sourceAgreementEnd = cap;
        emit IDataAssetRegistry.CertificateRenewed(id, validUntil, cap, sender);
        emit IERC4906.MetadataUpdate(id);
    }

    /// @notice The holder (`sender`) cancels its issued certificate.
    function cancel(DataAssetRegistryStorage.Layout storage $, uint256 id, bytes32 reasonHash, address sender) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        if (r.holder != sender) revert IDataAssetRegistry.RegistryNotHolder(id, sender);
        r.requireStatus(id, IDataAssetRegistry.Status.Issued);
        _end($, r, id, IDataAssetRegistry.Status.Cancelled);
        emit IDataAssetRegistry.CertificateCancelled(id, sender, reasonHash);
    }

    /// @notice A registrar revokes an issued certificate; a pledged or frozen one only under a
    ///         recorded ruling (`rulingHash` non-zero).
    function revoke(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        uint16 reasonCode,
        bytes32 reasonHash,
        bytes32 rulingHash,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        r.requireStatus(id, IDataAssetRegistry.Status.Issued);
        if (rulingHash == bytes32(0)) {
            (uint256 pledgeId, bool frozen) = ITransferAgent($.transferAgent).encumbrance(id);
            if (pledgeId != 0 || frozen) revert IDataAssetRegistry.RegistryEncumbered(id, pledgeId, frozen);
        }
        _end($, r, id, IDataAssetRegistry.Status.Revoked);
        emit IDataAssetRegistry.CertificateRevoked(id, sender, reasonCode, reasonHash, rulingHash);
    }

    /// @notice Anyone (`sender`) closes an issued certificate whose validity ended.
    function closeExpired(DataAssetRegistryStorage.Layout storage $, uint256 id, address sender) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        r.requireStatus(id, IDataAssetRegistry.Status.Issued);
        uint48 validUntil = r.validUntil;
        // slither-disable-next-line timestamp
        if (block.timestamp <= validUntil) revert IDataAssetRegistry.RegistryNotExpired(id, validUntil);
        _end($, r, id, IDataAssetRegistry.Status.Expired);
        emit IDataAssetRegistry.CertificateExpiryClosed(id, validUntil, sender);
    }

    function _issue(DataAssetRegistryStorage.Layout storage $, uint256 id, uint16 code, uint48 period, address sender)
        private
        returns (address holder, uint64 number)
    {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        if (r.registrarCode != code) revert IDataAssetRegistry.RegistryNotRegistrarOf(sender, r.registrarCode);
        r.requireStatus(id, IDataAssetRegistry.Status.InNotice);
        // slither-disable-next-line timestamp
        if (block.timestamp < r.noticeEnd) revert IDataAssetRegistry.RegistryNoticeWindowOpen(id, r.noticeEnd);
        if (r.openObjections != 0) revert IDataAssetRegistry.RegistryObjectionsOpen(id, r.openObjections);
        holder = r.holder;
        // only products have parents (enforced at submission): resources skip a cold read
        if (r.kind == IDataAssetRegistry.AssetKind.Product) RegistryRules.requireLineage($, r.parents, holder);
        uint48 nowTs = uint48(block.timestamp);
        uint48 byPeriod = r.noticeStart + period;
        // slither-disable-next-line timestamp
        if (byPeriod <= nowTs) revert IDataAssetRegistry.RegistryValidityElapsed(id, byPeriod);
        uint48 cap = r.sourceAgreementEnd;
        // slither-disable-next-line timestamp
        if (cap != 0 && cap <= nowTs) revert IDataAssetRegistry.RegistrySourceAgreementEnded(id, cap);
        bytes32 fingerprint = r.fingerprint;
        _claimFingerprint($, fingerprint, id);
        uint48 validUntil = _capped(byPeriod, cap);
        r.status = IDataAssetRegistry.Status.Issued;
        r.issuedAt = nowTs;
        r.validUntil = validUntil;
        r.version = 1;
        number = _emitIssued(r, id, code, sender);
    }

    function _emitIssued(IDataAssetRegistry.Registration storage r, uint256 id, uint16 code, address sender)
        private
        returns (uint64 number)
    {
        uint48 issuedAt = r.issuedAt;
        number = RegistryNumbers.certificateNumber(issuedAt, code, id);
        emit IDataAssetRegistry.CertificateIssued(
            id,
            r.holder,
            number,
            issuedAt,
            r.validUntil,
            r.fingerprint,
            r.metadataHash,
            sender
        );
    }

    /// @dev `fingerprint` now backs `id`; refused while it backs another live registration.
    function _claimFingerprint(DataAssetRegistryStorage.Layout storage $, bytes32 fingerprint, uint256 id) private {
        uint256 other = $.liveByFingerprint[fingerprint];
        if (other != 0 && other != RegistryRules.FINGERPRINT_RESERVED && other != id && $.registrations[other].isLive()) {
            revert IDataAssetRegistry.RegistryFingerprintInUse(fingerprint, other);
        }
        $.liveByFingerprint[fingerprint] = id;
    }

    /// @dev The certificate ends with `endStatus`: its fingerprint is free again.
    function _end(
        DataAssetRegistryStorage.Layout storage $,
        IDataAssetRegistry.Registration storage r,
        uint256 id,
        IDataAssetRegistry.Status endStatus
    ) private {
        r.status = endStatus;
        bytes32 fingerprint = r.fingerprint;
        if ($.liveByFingerprint[fingerprint] == id) delete $.liveByFingerprint[fingerprint];
    }

    function _capped(uint48 validUntil, uint48 sourceAgreementEnd) private pure returns (uint48) {
        return sourceAgreementEnd != 0 && sourceAgreementEnd < validUntil ? sourceAgreementEnd : validUntil;
    }
}
