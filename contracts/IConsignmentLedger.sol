// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IConsignmentLedger
/// @notice A shared, tamper-evident record of where relief and critical consignments are and who cleared them.
/// @dev Storage keeps only what the rules need (a head hash and a packed status per consignment); every field of
/// every milestone is in an event, so the whole history can be rebuilt from logs alone.
interface IConsignmentLedger {
    /// @notice What an organization is; it decides which milestone kinds its keys may sign.
    enum OrganizationKind {
        None,
        Customs,
        AidOrganization,
        Carrier,
        Agency
    }

    /// @notice Milestone kinds. The numbers are part of the signed data and never change.
    enum MilestoneKind {
        Registered,
        Dispatched,
        ExportCleared,
        ArrivedAtBorder,
        PreArrivalLodged,
        InspectionStarted,
        Held,
        Released,
        Rejected,
        Seized,
        Departed,
        Delivered,
        Received,
        Distributed,
        Incident,
        Correction,
        Cancelled
    }

    /// @notice A member of the consortium. Fits one storage slot.
    struct Organization {
        OrganizationKind kind;
        bytes2 country; // ISO 3166-1 alpha-2, upper case
        bool active;
        address admin; // may add and revoke the organization's signer keys; zero when only governance may
    }

    /// @notice A key that signs for one organization. Fits one storage slot.
    struct SignerKey {
        uint32 organizationId;
        uint64 addedAt;
        uint64 revokedAt; // 0 while active
        uint64 compromisedAt; // 0 unless the revocation declared a compromise; verifiers flag what was signed after it
    }

    /// @notice A consignment's packed status. Fits one storage slot; the head hash lives beside it.
    struct ConsignmentStatus {
        uint32 consignor;
        uint32 consignee; // 0 when the consignee is not a member
        bytes2 originCountry;
        bytes2 destinationCountry;
        uint8 flags;
        MilestoneKind status; // last kind recorded, not counting Incident and Correction
        uint32 milestoneCount;
        bool importReleased; // customs of the destination country has released it
        bool closed; // a terminal milestone (Distributed, Seized, Cancelled) was recorded
    }

    /// @notice EIP-712 `Milestone`: one step in a consignment's history, signed by a key of the posting organization.
    /// @dev `kind` is a raw uint8 so that an unknown kind reverts with `InvalidMilestoneKind` rather than a bare
    /// ABI decoding failure.
    struct Milestone {
        bytes32 consignmentId;
        uint8 kind;
        bytes5 location; // UN/LOCODE, e.g. "KEMBA"; its first two letters are the country
        uint64 occurredAt; // unix seconds
        bytes32 payloadHash; // keccak256 of the RFC 8785 canonical JSON document
        bytes32 prevHash; // the consignment's head before this milestone
    }

    /// @notice EIP-712 `Registration`: the first milestone of a consignment, which also fixes its parties and flags.
    struct Registration {
        bytes32 referenceHash; // keccak256 of the consignor's reference (the WCO UCR where there is one)
        uint32 consignor;
        uint32 consignee;
        bytes2 originCountry;
        bytes2 destinationCountry;
        uint8 flags;
        bytes5 location;
        uint64 occurredAt;
        bytes32 payloadHash;
    }

    /// @notice EIP-712 `Correction`: names an earlier milestone (by its index in the history) that it corrects.
    /// History is never edited; this follows EPCIS's errorDeclaration.
    struct Correction {
        bytes32 consignmentId;
        uint32 correctedIndex;
        bytes5 location;
        uint64 occurredAt;
        bytes32 payloadHash;
        bytes32 prevHash;
    }

    /// @notice A compact (EIP-2098) signature with the signer it claims to come from. Naming the signer lets the
    /// contract tell a signature over another domain or payload (`SignatureMismatch`) from an unknown key.
    struct SignerSignature {
        address signer;
        bytes32 r;
        bytes32 yParityAndS;
    }

    /// @notice A warning from a health or meteorological agency, signed by an active key of an Agency organization.
    /// The area is signed and emitted, so every node flags the same consignments without fetching anything; the
    /// description stays off chain under `payloadHash`.
    struct Warning {
        bytes32 warningId;
        uint8 kind; // 0 Cyclone, 1 Flood, 2 Outbreak, 3 BorderClosure, 4 Conflict
        uint8 severity; // 0 Minor, 1 Moderate, 2 Severe, 3 Extreme
        bytes2[] countries;
        bytes5[] locations;
        uint64 validFrom;
        uint64 validUntil;
        bytes32 payloadHash;
    }

    /// @notice An emergency's window; `endedAt` is set when governance ends it.
    struct Emergency {
        uint64 startsAt;
        uint64 endsAt; // 0: until ended
        uint64 endedAt;
    }

    // ---------------------------------------------------------------- events

    event OrganizationRegistered(
        uint32 indexed organizationId,
        OrganizationKind kind,
        bytes2 country,
        address admin,
        string name
    );
    event OrganizationDeactivated(uint32 indexed organizationId);
    event OrganizationReactivated(uint32 indexed organizationId);
    event OrganizationAdminChanged(uint32 indexed organizationId, address previousAdmin, address newAdmin);
    /// @notice The URL of the node that serves this organization's documents to peers; empty withdraws it.
    event OrganizationEndpointPublished(uint32 indexed organizationId, string endpoint);
    event SignerAdded(uint32 indexed organizationId, address indexed signer);
    event SignerRevoked(uint32 indexed organizationId, address indexed signer, uint64 revokedAt, uint64 compromisedAt);

    /// @notice Emitted for the first milestone of a consignment; the digest of `Registration` becomes its head.
    event ConsignmentRegistered(
        bytes32 indexed consignmentId,
        address indexed signer,
        bytes32 referenceHash,
        uint32 consignor,
        uint32 consignee,
        bytes2 originCountry,
        bytes2 destinationCountry,
        uint8 flags,
        bytes5 location,
        uint64 occurredAt,
        bytes32 payloadHash
    );

    /// @notice Emitted for every milestone other than registration and corrections.
    event MilestoneRecorded(
        bytes32 indexed consignmentId,
        address indexed signer,
        uint8 kind,
        bytes5 location,
        uint64 occurredAt,
        bytes32 payloadHash,
        bytes32 prevHash
    );

    /// @notice Emitted for a Correction milestone.
    event CorrectionRecorded(
        bytes32 indexed consignmentId,
        address indexed signer,
        uint32 correctedIndex,
        bytes5 location,
        uint64 occurredAt,
        bytes32 payloadHash,
        bytes32 prevHash
    );

    /// @notice A warning anchored on chain.
    event WarningPublished(
        bytes32 indexed warningId,
        uint32 indexed organizationId,
        address indexed signer,
        uint8 kind,
        uint8 severity,
        bytes2[] countries,
        bytes5[] locations,
        uint64 validFrom,
        uint64 validUntil,
        bytes32 payloadHash
    );

    /// @notice Governance declared an emergency over countries and places, with the hash of its declaration.
    event EmergencyDeclared(
        bytes32 indexed emergencyId,
        bytes2[] countries,
        bytes5[] locations,
        uint64 startsAt,
        uint64 endsAt,
        bytes32 documentHash
    );

    /// @notice Governance ended an emergency.
    event EmergencyEnded(bytes32 indexed emergencyId, uint64 endedAt);

    // ---------------------------------------------------------------- governance and key errors

    error InvalidCountryCode(bytes2 country);
    error InvalidOrganizationKind(OrganizationKind kind);
    error UnknownOrganization(uint32 organizationId);
    error OrganizationActiveUnchanged(uint32 organizationId, bool active);
    error UnauthorizedOrganizationAdmin(uint32 organizationId, address account);
    error EndpointTooLong(uint256 length, uint256 maxLength);
    error InvalidSignerAddress();
    error SignerAlreadyRegistered(address signer, uint32 organizationId);
    error SignerNotRegistered(address signer);
    error SignerAlreadyRevoked(address signer, uint64 revokedAt);
    error InvalidCompromiseTime(uint64 compromisedAt, uint64 revokedAt);

    // ---------------------------------------------------------------- milestone errors (index = position in the batch)

    error EmptyBatch();
    error SignatureCountMismatch(uint256 milestones, uint256 signatures);
    /// @dev `recoverError` is OpenZeppelin's `ECDSA.RecoverError` (1: invalid, 3: s in the upper half).
    error MalformedSignature(uint256 index, uint8 recoverError);
    /// @dev The signature is well formed but recovers another address: it was made over another EIP-712 domain
    /// (another chain or contract) or over other milestone fields.
    error SignatureMismatch(uint256 index, address claimedSigner, address recoveredSigner);
    error UnknownSigner(uint256 index, address signer);
    error SignerKeyRevoked(uint256 index, address signer, uint64 revokedAt);
    error SignerOrganizationInactive(uint256 index, uint32 organizationId);
    error InvalidMilestoneKind(uint256 index, uint8 kind);
    error KindNotAllowed(uint256 index, uint8 kind, OrganizationKind organizationKind);
    error OutsideJurisdiction(uint256 index, bytes2 organizationCountry, bytes2 locationCountry);
    error UnknownConsignment(uint256 index, bytes32 consignmentId);
    error NotConsignmentParty(uint256 index, bytes32 consignmentId, uint32 organizationId);
    error StaleHead(uint256 index, bytes32 consignmentId, bytes32 head, bytes32 prevHash);
    error ConsignmentClosed(uint256 index, bytes32 consignmentId, MilestoneKind closingKind);
    error ImportReleaseRequired(uint256 index, bytes32 consignmentId, bytes2 destinationCountry);
    error UnknownCorrectedMilestone(uint256 index, bytes32 consignmentId, uint32 correctedIndex, uint32 milestoneCount);
    error ConsignmentAlreadyRegistered(uint256 index, bytes32 consignmentId);
    error ConsignorMismatch(uint256 index, uint32 consignor, uint32 signerOrganizationId);
    error InvalidConsignmentFlags(uint256 index, uint8 flags);
    error UnknownConsignee(uint256 index, uint32 consignee);

    // ---------------------------------------------------------------- warning and emergency errors

    error EmptyArea();
    error InvalidWindow(uint64 from, uint64 until);
    error InvalidWarningClass(bytes32 warningId, uint8 kind, uint8 severity);
    error NotAnAgency(bytes32 warningId, uint32 organizationId, OrganizationKind organizationKind);
    error WarningAlreadyPublished(bytes32 warningId);
    error EmergencyAlreadyDeclared(bytes32 emergencyId);
    error UnknownEmergency(bytes32 emergencyId);
    error EmergencyAlreadyEnded(bytes32 emergencyId, uint64 endedAt);

    // ---------------------------------------------------------------- governance

    /// @notice Registers a member organization. Governance only.
    /// @param kind What the organization is.
    /// @param country ISO 3166-1 alpha-2 code, upper case.
    /// @param admin Key that may manage the organization's signer keys; zero leaves that to governance.
    /// @param name Display name, kept only in the event.
    /// @return organizationId The new organization's id, counting from 1.
    function registerOrganization(
        OrganizationKind kind,
        bytes2 country,
        address admin,
        string calldata name
    ) external returns (uint32 organizationId);

    /// @notice Deactivates or reactivates an organization. Governance only. Its keys sign nothing while inactive;
    /// what they signed before stays valid.
    function setOrganizationActive(uint32 organizationId, bool active) external;

    /// @notice Replaces an organization's admin key. Governance only.
    function setOrganizationAdmin(uint32 organizationId, address admin) external;

    /// @notice Adds a signer key to an organization. Governance or the organization's admin.
    /// A key belongs to one organization forever, and a revoked key cannot be added again.
    function addSigner(uint32 organizationId, address signer) external;

    /// @notice Publishes the URL of the node that serves the organization's documents to peers (federation). The
    /// chain is the directory every node reads; only the event carries the URL, so nothing is stored.
    /// @dev Governance or the organization's admin key. At most 256 bytes; an empty string withdraws it.
    function publishOrganizationEndpoint(uint32 organizationId, string calldata endpoint) external;

    /// @notice Revokes a signer key now. Governance or its organization's admin. Milestones recorded before stay valid.
    /// @param compromisedAt When the key is believed to have been compromised (0 if it was not); verifiers flag
    /// everything it signed after that time. Must not be later than now.
    function revokeSigner(address signer, uint64 compromisedAt) external;

    /// @notice Stops all recording. Pauser only.
    function pause() external;

    /// @notice Resumes recording. Pauser only.
    function unpause() external;

    // ---------------------------------------------------------------- recording

    /// @notice Registers consignments, each as its first signed milestone. Atomic: one failure reverts the batch.
    /// @dev The sender is only a relayer; authority comes from the signatures. The consignment id is
    /// `consignmentIdOf(registration.consignor, registration.referenceHash)`.
    function registerConsignments(
        Registration[] calldata registrations,
        SignerSignature[] calldata signatures
    ) external returns (bytes32[] memory consignmentIds);

    /// @notice Records signed milestones in order. Atomic: one failure reverts the batch.
    /// @dev Several milestones of one consignment may follow each other in a batch, each naming the digest of the
    /// one before as `prevHash`. Registered and Correction go through their own functions.
    function recordMilestones(Milestone[] calldata milestones, SignerSignature[] calldata signatures) external;

    /// @notice Records a signed correction of an earlier milestone. Allowed after a terminal milestone.
    function recordCorrection(Correction calldata correction, SignerSignature calldata signature) external;

    /// @notice Anchors an agency's signed warning. Anyone may relay it; authority comes from the signature of an
    /// active key of an active Agency organization. Each warningId is published once.
    function publishWarning(Warning calldata warning, SignerSignature calldata signature) external;

    /// @notice Declares an emergency over countries and places (UN/LOCODEs) from `startsAt` to `endsAt` (0: until
    /// ended). Governance only. While it stands, relief consignments on routes through the area get the priority lane.
    function declareEmergency(
        bytes32 emergencyId,
        bytes2[] calldata countries,
        bytes5[] calldata locations,
        uint64 startsAt,
        uint64 endsAt,
        bytes32 documentHash
    ) external;

    /// @notice Ends an emergency now. Governance only.
    function endEmergency(bytes32 emergencyId) external;

    // ---------------------------------------------------------------- views

    /// @notice The EIP-712 digest of a warning.
    function warningDigest(Warning calldata warning) external view returns (bytes32);

    /// @notice Whether a warning id has been published.
    function isWarningPublished(bytes32 warningId) external view returns (bool);

    /// @notice An emergency's window (all zero when unknown).
    function emergency(bytes32 emergencyId) external view returns (Emergency memory);

    /// @notice The published consignment id derivation: `keccak256(abi.encode(consignor, referenceHash))`.
    function consignmentIdOf(uint32 consignor, bytes32 referenceHash) external pure returns (bytes32);

    /// @notice The EIP-712 digest of a milestone; it becomes the consignment's head when recorded.
    function milestoneDigest(Milestone calldata milestone) external view returns (bytes32);

    /// @notice The EIP-712 digest of a registration.
    function registrationDigest(Registration calldata registration) external view returns (bytes32);

    /// @notice The EIP-712 digest of a correction.
    function correctionDigest(Correction calldata correction) external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this deployment.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    function organization(uint32 organizationId) external view returns (Organization memory);

    function organizationCount() external view returns (uint32);

    function signerKey(address signer) external view returns (SignerKey memory);

    /// @notice A consignment's head (zero when unknown) and packed status.
    function consignment(bytes32 consignmentId) external view returns (bytes32 head, ConsignmentStatus memory status);
}
