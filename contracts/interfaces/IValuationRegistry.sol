// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IValuationRegistry
/// @notice Appraisers' attestations of what a certificate's data asset is worth (数据资产评估), and
///         the accounting class its holder books it under (数据资源入表). Append-only: a valuation
///         is never edited, only withdrawn by the appraiser who submitted it.
///
/// Rules: an account holding the authority's admin role or REGULATOR_ROLE accredits
/// appraisers and removes them (a removed appraiser may be accredited again). Only an accredited
/// appraiser submits a valuation, and only of an issued certificate (not in notice, expired,
/// cancelled or revoked) and of one of its recorded asset versions. A valuation stays readable
/// after its appraiser is removed ({appraiser} tells a client so), and its appraiser, removed or
/// not, may withdraw it; a withdrawn valuation is never the latest. The holder of an issued
/// certificate records its accounting class; the choice belongs to that holder and lapses when
/// the certificate moves to another.
///
/// Money is an integer of the currency's minor units (fen for CNY, cents for USD, yen for JPY);
/// the currency is three upper-case ASCII letters here, the Python side checks it is an active
/// ISO 4217 code. The report itself and the assumed asset facts are kept off chain by hash.
/// @dev Events carry every fact an indexer needs; the report URI is carried only by
///      {ValuationSubmitted}, never stored.
interface IValuationRegistry {
    /// @notice Valuation method of the 2023 data-asset appraisal guidance.
    /// 0 None (refused), 1 Cost (成本法), 2 Income (收益法), 3 Market (市场法), 4 Combined (several
    /// methods weighted into one conclusion).
    enum Method {
        None,
        Cost,
        Income,
        Market,
        Combined
    }

    /// @notice The value type (价值类型) the conclusion states.
    /// 0 None (refused), 1 MarketValue (市场价值), 2 InvestmentValue (投资价值),
    /// 3 OrderlyLiquidationValue (有序清算价值), 4 ForcedLiquidationValue (强制清算价值),
    /// 5 OtherValue (any other non-market value type named in the report).
    enum ValueType {
        None,
        MarketValue,
        InvestmentValue,
        OrderlyLiquidationValue,
        ForcedLiquidationValue,
        OtherValue
    }

    /// @notice What the valuation is for (评估目的).
    /// 0 None (refused), 1 PledgeFinancing (质押融资), 2 Transaction (交易), 3 FinancialReporting
    /// (财务报告, incl. 入表), 4 Investment (出资/投资), 5 Litigation (诉讼), 6 Other.
    enum Purpose {
        None,
        PledgeFinancing,
        Transaction,
        FinancialReporting,
        Investment,
        Litigation,
        Other
    }

    /// @notice 0 None (no such valuation), 1 Active, 2 Withdrawn.
    enum ValuationStatus {
        None,
        Active,
        Withdrawn
    }

    /// @notice Accounting class under the 2024 rules on data resources.
    /// 0 None (not chosen; refused as a choice), 1 IntangibleAsset (无形资产: used internally),
    /// 2 Inventory (存货: held for sale).
    enum AccountingClass {
        None,
        IntangibleAsset,
        Inventory
    }

    /// @notice An appraiser's accreditation (kept after removal, so past valuations can be judged).
    /// @param accredited        true while the appraiser may submit valuations
    /// @param accreditedAt      time of the latest accreditation
    /// @param removedAt         time of the removal; 0 while accredited (cleared on re-accreditation)
    /// @param accreditationHash hash of the latest accreditation document (licence, filing)
    struct Appraiser {
        bool accredited;
        uint48 accreditedAt;
        uint48 removedAt;
        bytes32 accreditationHash;
    }

    /// @notice What an appraiser submits.
    /// @param method       how the value was reached; not None
    /// @param value        the concluded value in minor units of `currency`; > 0
    /// @param currency     ISO 4217 alphabetic code, three upper-case ASCII letters (e.g. "CNY")
    /// @param valueType    the value type the conclusion states; not None
    /// @param baseDate     valuation base date (评估基准日), unix seconds; > 0 and not in the future
    /// @param purpose      what the valuation is for; not None
    /// @param assetVersion the asset version valued: 1 .. the registration's current version
    /// @param reportHash   SHA-256 of the valuation report (or its computation record); not zero
    /// @param factsHash    hash of the asset facts assumed (scale, structure, update frequency); may be zero
    /// @param reportURI    where the report can be fetched; may be empty, at most
    ///                     MAX_REPORT_URI_LENGTH bytes of visible ASCII (0x21-0x7e); carried by the event only
    struct ValuationInput {
        Method method;
        uint128 value;
        bytes3 currency;
        ValueType valueType;
        uint48 baseDate;
        Purpose purpose;
        uint32 assetVersion;
        bytes32 reportHash;
        bytes32 factsHash;
        string reportURI;
    }

    /// @notice A valuation as stored (five slots; the fields of {ValuationInput} except the URI).
    /// @param tokenId     the certificate valued (its registration id)
    /// @param appraiser   who submitted it
    /// @param submittedAt time of submission
    /// @param withdrawnAt time of withdrawal; 0 while active
    /// @param status      Active or Withdrawn
    struct Valuation {
        uint64 tokenId;
        address appraiser;
        uint32 assetVersion;
        uint128 value;
        uint48 submittedAt;
        uint48 baseDate;
        bytes3 currency;
        Method method;
        ValueType valueType;
        Purpose purpose;
        ValuationStatus status;
        uint48 withdrawnAt;
        bytes32 reportHash;
        bytes32 factsHash;
    }

    // --- events -------------------------------------------------------------------------

    /// @notice `appraiser` was accredited (or accredited again) by `by`.
    event AppraiserAccredited(address indexed appraiser, bytes32 accreditationHash, address indexed by);

    /// @notice `appraiser`'s accreditation was withdrawn by `by`; its past valuations remain.
    event AppraiserRemoved(address indexed appraiser, bytes32 reasonHash, address indexed by);

    /// @notice A valuation was submitted; `valuation` is the full stored record and `reportURI`
    ///         the report's location, which is not stored.
    event ValuationSubmitted(
        uint256 indexed valuationId,
        uint256 indexed tokenId,
        address indexed appraiser,
        Valuation valuation,
        string reportURI
    );

    /// @notice The appraiser withdrew its valuation (at the block's time, now its `withdrawnAt`).
    event ValuationWithdrawn(
        uint256 indexed valuationId, uint256 indexed tokenId, address indexed appraiser, bytes32 reasonHash
    );

    /// @notice The certificate's holder recorded the accounting class it books the asset under.
    event AccountingClassSet(uint256 indexed tokenId, AccountingClass accountingClass, address indexed holder);

    // --- errors -------------------------------------------------------------------------

    /// @notice There is no valuation `valuationId`.
    error ValuationUnknown(uint256 valuationId);
    /// @notice `account` is not an accredited appraiser, so it may not submit valuations.
    error ValuationNotAppraiser(address account);
    /// @notice `account` holds neither the admin role nor REGULATOR_ROLE, so it may not accredit.
    error ValuationNotAuthorized(address account);
    /// @notice `appraiser` is accredited already.
    error ValuationAppraiserAlreadyAccredited(address appraiser);
    /// @notice `appraiser` is not accredited (never was, or was removed).
    error ValuationAppraiserNotAccredited(address appraiser);
    /// @notice The certificate's effective status (IDataAssetRegistry.Status) is not Issued.
    error ValuationCertificateNotIssued(uint256 tokenId, uint8 status);
    /// @notice The input field named `field` is missing or malformed.
    error ValuationInvalidInput(string field);
    /// @notice The valuation base date lies after the block's time.
    error ValuationBaseDateInFuture(uint48 baseDate, uint48 blockTime);
    /// @notice The certificate has no asset version `version` (versions run 1 .. `current`).
    error ValuationUnknownVersion(uint256 tokenId, uint32 version, uint32 current);
    /// @notice The valuation was withdrawn already.
    error ValuationNotActive(uint256 valuationId);
    /// @notice Only the appraiser who submitted a valuation withdraws it.
    error ValuationNotOwnAppraisal(uint256 valuationId, address account);
    /// @notice Only the certificate's holder records its accounting class.
    error ValuationNotHolder(uint256 tokenId, address account);

    // --- accreditation (admin or regulator) ---------------------------------------------

    /// @notice Accredit `account` as an appraiser, or accredit a removed one again (new `accreditedAt`,
    ///         `removedAt` cleared). Caller: the authority's admin or a regulator (its own transaction or a relayed ERC-2771 request).
    /// @param account           the appraiser's account; not zero, not accredited now
    /// @param accreditationHash hash of the accreditation document; not zero
    function accreditAppraiser(address account, bytes32 accreditationHash) external;

    /// @notice Withdraw `account`'s accreditation: it can no longer submit valuations; its
    ///         past valuations stay and it may still withdraw them. Caller: admin or regulator.
    /// @param account    the appraiser's account; accredited now
    /// @param reasonHash hash of the reasons document (may be zero)
    function removeAppraiser(address account, bytes32 reasonHash) external;

    // --- appraiser ----------------------------------------------------------------------

    /// @notice Record a valuation of certificate `tokenId` as the (accredited) sender.
    /// @return valuationId the new valuation's id (ids start at 1 and are never reused)
    function submitValuation(uint256 tokenId, ValuationInput calldata input) external returns (uint256 valuationId);

    /// @notice Withdraw one's own active valuation; it stays readable with status Withdrawn.
    /// @param reasonHash hash of the reasons document (may be zero)
    function withdrawValuation(uint256 valuationId, bytes32 reasonHash) external;

    // --- holder -------------------------------------------------------------------------

    /// @notice Record the accounting class the holder of issued certificate `tokenId` books it
    ///         under (may be changed; a new holder after a transfer chooses its own).
    /// @param accountingClass IntangibleAsset or Inventory; not None
    function setAccountingClass(uint256 tokenId, AccountingClass accountingClass) external;

    // --- views --------------------------------------------------------------------------

    /// @notice The stored valuation; reverts {ValuationUnknown} for an unknown id.
    function valuation(uint256 valuationId) external view returns (Valuation memory);

    /// @notice Every valuation of `tokenId`, active or withdrawn, oldest first.
    function valuationsOf(uint256 tokenId) external view returns (uint256[] memory);

    /// @notice The newest active valuation of `tokenId`, or 0 if it has none.
    function latestValuationOf(uint256 tokenId) external view returns (uint256);

    /// @notice `account`'s accreditation record (all zero if it was never accredited).
    function appraiser(address account) external view returns (Appraiser memory);

    /// @notice Whether `account` is accredited now.
    function isAppraiser(address account) external view returns (bool);

    /// @notice The accounting class the current holder of `tokenId` recorded; None if it has
    ///         recorded none (also right after a transfer, until the new holder chooses).
    function accountingClassOf(uint256 tokenId) external view returns (AccountingClass);
}
