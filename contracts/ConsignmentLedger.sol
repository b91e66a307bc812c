// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IConsignmentLedger} from "./IConsignmentLedger.sol";

/// @title ConsignmentLedger
/// @notice See {IConsignmentLedger}.
contract ConsignmentLedger is IConsignmentLedger, AccessControlDefaultAdminRules, Pausable, EIP712 {
    /// @notice Registers organizations and manages their keys; in production a consortium multisig or timelock.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May pause and resume recording.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Version of this contract, written into deployment records.
    string public constant VERSION = "1.0.0";

    bytes32 private constant _MILESTONE_TYPEHASH = keccak256(
        "Milestone(bytes32 consignmentId,uint8 kind,bytes5 location,uint64 occurredAt,bytes32 payloadHash,bytes32 prevHash)"
    );
    bytes32 private constant _REGISTRATION_TYPEHASH = keccak256(
        "Registration(bytes32 referenceHash,uint32 consignor,uint32 consignee,bytes2 originCountry,"
        "bytes2 destinationCountry,uint8 flags,bytes5 location,uint64 occurredAt,bytes32 payloadHash)"
    );
    bytes32 private constant _CORRECTION_TYPEHASH = keccak256(
        "Correction(bytes32 consignmentId,uint32 correctedIndex,bytes5 location,uint64 occurredAt,bytes32 payloadHash,bytes32 prevHash)"
    );

    bytes32 private constant _WARNING_TYPEHASH = keccak256(
        "Warning(bytes32 warningId,uint8 kind,uint8 severity,bytes2[] countries,bytes5[] locations,uint64 validFrom,"
        "uint64 validUntil,bytes32 payloadHash)"
    );

    uint8 private constant _KIND_COUNT = 17;
    uint8 private constant _WARNING_KIND_COUNT = 5;
    uint8 private constant _SEVERITY_COUNT = 4;

    // Which organization kinds may sign each milestone kind: byte k is the mask for MilestoneKind k, bit o set when
    // OrganizationKind o may sign it. Mirrors MILESTONE_KINDS in server/domain/milestoneKinds.ts (a test checks).
    //   Registered, Dispatched, Cancelled: aid, carrier       ExportCleared .. Seized (clearance): customs
    //   ArrivedAtBorder, Departed: customs, carrier            PreArrivalLodged, Correction: customs, aid, carrier
    //   Delivered: carrier    Received, Distributed: aid       Incident: everyone
    uint256 private constant _ALLOWED_SIGNERS = 0x0C0E1E0404080A02020202020E0A020C0C;

    uint256 private constant _TERMINAL_KINDS =
        (1 << uint8(MilestoneKind.Distributed)) |
            (1 << uint8(MilestoneKind.Seized)) |
            (1 << uint8(MilestoneKind.Cancelled));
    // Kinds that only the consignor or consignee may sign, whatever the signer's organization kind.
    uint256 private constant _PARTY_KINDS =
        (1 << uint8(MilestoneKind.Received)) |
            (1 << uint8(MilestoneKind.Distributed)) |
            (1 << uint8(MilestoneKind.Cancelled));

    /// @notice Bits of `ConsignmentStatus.flags`.
    uint8 public constant FLAG_RELIEF = 1;
    uint8 public constant FLAG_MEDICAL = 2;
    uint8 public constant FLAG_COLD_CHAIN = 4;
    uint8 public constant FLAG_DANGEROUS_GOODS = 8;
    uint8 private constant _ALL_FLAGS = 15;
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    uint32 private _organizationCount;
    mapping(uint32 organizationId => Organization organization) private _organizations;
    mapping(address signer => SignerKey key) private _signerKeys;
    mapping(bytes32 consignmentId => bytes32 head) private _heads;
    mapping(bytes32 consignmentId => ConsignmentStatus status) private _statuses;
    mapping(bytes32 warningId => bool published) private _publishedWarnings;
    mapping(bytes32 emergencyId => Emergency window) private _emergencies;

    /// @param admin Holds the default admin, governor and pauser roles at deployment.
    /// @param adminTransferDelay Seconds a transfer of the default admin role must wait (OpenZeppelin's rules).
    constructor(
        address admin,
        uint48 adminTransferDelay
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) EIP712("ConsignmentLedger", "1") {
        _grantRole(GOVERNOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IConsignmentLedger
    function registerOrganization(
        OrganizationKind kind,
        bytes2 country,
        address admin,
        string calldata name
    ) external onlyRole(GOVERNOR_ROLE) returns (uint32 organizationId) {
        // Ensure the kind is a real one.
        if (kind == OrganizationKind.None) revert InvalidOrganizationKind(kind);
        // Ensure the country looks like ISO 3166-1 alpha-2.
        if (!_isCountryCode(country)) revert InvalidCountryCode(country);

        organizationId = ++_organizationCount;
        _organizations[organizationId] = Organization({kind: kind, country: country, active: true, admin: admin});
        emit OrganizationRegistered(organizationId, kind, country, admin, name);
    }

    /// @inheritdoc IConsignmentLedger
    function setOrganizationActive(uint32 organizationId, bool active) external onlyRole(GOVERNOR_ROLE) {
        Organization storage org = _existingOrganization(organizationId);
        // Ensure the call changes something, so a mistaken repeat is visible.
        if (org.active == active) revert OrganizationActiveUnchanged(organizationId, active);

        org.active = active;
        if (active) emit OrganizationReactivated(organizationId);
        else emit OrganizationDeactivated(organizationId);
    }

    /// @inheritdoc IConsignmentLedger
    function setOrganizationAdmin(uint32 organizationId, address admin) external onlyRole(GOVERNOR_ROLE) {
        Organization storage org = _existingOrganization(organizationId);
        address previous = org.admin;
        org.admin = admin;
        emit OrganizationAdminChanged(organizationId, previous, admin);
    }

    /// @inheritdoc IConsignmentLedger
    function publishOrganizationEndpoint(uint32 organizationId, string calldata endpoint) external {
        Organization storage org = _existingOrganization(organizationId);
        _checkOrganizationAdmin(organizationId, org);
        // Ensure a URL, not a payload: every node stores what it reads here.
        if (bytes(endpoint).length > MAX_ENDPOINT_LENGTH) {
            revert EndpointTooLong(bytes(endpoint).length, MAX_ENDPOINT_LENGTH);
        }
        emit OrganizationEndpointPublished(organizationId, endpoint);
    }

    /// @inheritdoc IConsignmentLedger
    function addSigner(uint32 organizationId, address signer) external {
        Organization storage org = _existingOrganization(organizationId);
        _checkOrganizationAdmin(organizationId, org);
        // Ensure the key is usable: ecrecover returns zero for garbage.
        if (signer == address(0)) revert InvalidSignerAddress();
        // Ensure a key never moves between organizations and a revoked key never comes back.
        SignerKey storage key = _signerKeys[signer];
        if (key.organizationId != 0) revert SignerAlreadyRegistered(signer, key.organizationId);

        key.organizationId = organizationId;
        key.addedAt = _time();
        emit SignerAdded(organizationId, signer);
    }

    /// @inheritdoc IConsignmentLedger
    function revokeSigner(address signer, uint64 compromisedAt) external {
        SignerKey storage key = _signerKeys[signer];
        // Ensure the key exists and is still active.
        if (key.organizationId == 0) revert SignerNotRegistered(signer);
        _checkOrganizationAdmin(key.organizationId, _organizations[key.organizationId]);
        if (key.revokedAt != 0) revert SignerAlreadyRevoked(signer, key.revokedAt);
        // Ensure a declared compromise is not in the future: the revocation is the latest it can be known.
        uint64 now_ = _time();
        if (compromisedAt > now_) revert InvalidCompromiseTime(compromisedAt, now_);

        key.revokedAt = now_;
        key.compromisedAt = compromisedAt;
        emit SignerRevoked(key.organizationId, signer, now_, compromisedAt);
    }

    /// @inheritdoc IConsignmentLedger
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IConsignmentLedger
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- recording

    /// @inheritdoc IConsignmentLedger
    function registerConsignments(
        Registration[] calldata registrations,
        SignerSignature[] calldata signatures
    ) external whenNotPaused returns (bytes32[] memory consignmentIds) {
        _checkBatchShape(registrations.length, signatures.length);
        consignmentIds = new bytes32[](registrations.length);
        for (uint256 i = 0; i < registrations.length; ++i) {
            consignmentIds[i] = _register(i, registrations[i], signatures[i]);
        }
    }

    /// @inheritdoc IConsignmentLedger
    function recordMilestones(
        Milestone[] calldata milestones,
        SignerSignature[] calldata signatures
    ) external whenNotPaused {
        _checkBatchShape(milestones.length, signatures.length);
        for (uint256 i = 0; i < milestones.length;) {
            _record(i, milestones[i], signatures[i]);
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc IConsignmentLedger
    function recordCorrection(
        Correction calldata correction,
        SignerSignature calldata signature
    ) external whenNotPaused {
        bytes32 digest = _hashTypedDataV4(_correctionStructHash(correction));
        uint8 kind = uint8(MilestoneKind.Correction);
        (uint32 orgId, OrganizationKind orgKind) = _authorize(0, digest, signature, kind, correction.location);
        uint32 countBefore = _advance(
            0,
            correction.consignmentId,
            kind,
            correction.location,
            correction.prevHash,
            orgId,
            orgKind,
            digest
        );
        // Ensure the corrected milestone exists.
        if (correction.correctedIndex >= countBefore) {
            revert UnknownCorrectedMilestone(0, correction.consignmentId, correction.correctedIndex, countBefore);
        }
        emit CorrectionRecorded(
            correction.consignmentId,
            signature.signer,
            correction.correctedIndex,
            correction.location,
            correction.occurredAt,
            correction.payloadHash,
            correction.prevHash
        );
    }

    // ---------------------------------------------------------------- warnings and emergencies

    /// @inheritdoc IConsignmentLedger
    function publishWarning(Warning calldata warning, SignerSignature calldata signature) external whenNotPaused {
        bytes32 id = warning.warningId;
        if (_publishedWarnings[id]) revert WarningAlreadyPublished(id);
        if (warning.kind >= _WARNING_KIND_COUNT || warning.severity >= _SEVERITY_COUNT) {
            revert InvalidWarningClass(id, warning.kind, warning.severity);
        }
        _checkArea(warning.countries, warning.locations);
        if (warning.validUntil <= warning.validFrom) revert InvalidWindow(warning.validFrom, warning.validUntil);
        (uint32 orgId, Organization memory org) = _activeSigner(
            0,
            _hashTypedDataV4(_warningStructHash(warning)),
            signature
        );
        if (org.kind != OrganizationKind.Agency) revert NotAnAgency(id, orgId, org.kind);
        _publishedWarnings[id] = true;
        emit WarningPublished(
            id,
            orgId,
            signature.signer,
            warning.kind,
            warning.severity,
            warning.countries,
            warning.locations,
            warning.validFrom,
            warning.validUntil,
            warning.payloadHash
        );
    }

    /// @inheritdoc IConsignmentLedger
    function declareEmergency(
        bytes32 emergencyId,
        bytes2[] calldata countries,
        bytes5[] calldata locations,
        uint64 startsAt,
        uint64 endsAt,
        bytes32 documentHash
    ) external onlyRole(GOVERNOR_ROLE) {
        if (_emergencies[emergencyId].startsAt != 0) revert EmergencyAlreadyDeclared(emergencyId);
        _checkArea(countries, locations);
        if (startsAt == 0 || (endsAt != 0 && endsAt <= startsAt)) revert InvalidWindow(startsAt, endsAt);
        _emergencies[emergencyId] = Emergency({startsAt: startsAt, endsAt: endsAt, endedAt: 0});
        emit EmergencyDeclared(emergencyId, countries, locations, startsAt, endsAt, documentHash);
    }

    /// @inheritdoc IConsignmentLedger
    function endEmergency(bytes32 emergencyId) external onlyRole(GOVERNOR_ROLE) {
        Emergency storage e = _emergencies[emergencyId];
        if (e.startsAt == 0) revert UnknownEmergency(emergencyId);
        if (e.endedAt != 0) revert EmergencyAlreadyEnded(emergencyId, e.endedAt);
        uint64 now_ = _time();
        e.endedAt = now_;
        emit EmergencyEnded(emergencyId, now_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IConsignmentLedger
    function warningDigest(Warning calldata warning) external view returns (bytes32) {
        return _hashTypedDataV4(_warningStructHash(warning));
    }

    /// @inheritdoc IConsignmentLedger
    function isWarningPublished(bytes32 warningId) external view returns (bool) {
        return _publishedWarnings[warningId];
    }

    /// @inheritdoc IConsignmentLedger
    function emergency(bytes32 emergencyId) external view returns (Emergency memory) {
        return _emergencies[emergencyId];
    }

    /// @inheritdoc IConsignmentLedger
    function consignmentIdOf(uint32 consignor, bytes32 referenceHash) public pure returns (bytes32) {
        return keccak256(abi.encode(consignor, referenceHash));
    }

    /// @inheritdoc IConsignmentLedger
    function milestoneDigest(Milestone calldata milestone) external view returns (bytes32) {
        return _hashTypedDataV4(_milestoneStructHash(milestone));
    }

    /// @inheritdoc IConsignmentLedger
    function registrationDigest(Registration calldata registration) external view returns (bytes32) {
        return _hashTypedDataV4(_registrationStructHash(registration));
    }

    /// @inheritdoc IConsignmentLedger
    function correctionDigest(Correction calldata correction) external view returns (bytes32) {
        return _hashTypedDataV4(_correctionStructHash(correction));
    }

    /// @inheritdoc IConsignmentLedger
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IConsignmentLedger
    function organization(uint32 organizationId) external view returns (Organization memory) {
        return _organizations[organizationId];
    }

    /// @inheritdoc IConsignmentLedger
    function organizationCount() external view returns (uint32) {
        return _organizationCount;
    }

    /// @inheritdoc IConsignmentLedger
    function signerKey(address signer) external view returns (SignerKey memory) {
        return _signerKeys[signer];
    }

    /// @inheritdoc IConsignmentLedger
    function consignment(bytes32 consignmentId) external view returns (bytes32 head, ConsignmentStatus memory status) {
        return (_heads[consignmentId], _statuses[consignmentId]);
    }

    // ---------------------------------------------------------------- private workers

    function _register(
        uint256 index,
        Registration calldata registration,
        SignerSignature calldata signature
    ) private returns (bytes32 consignmentId) {
        bytes32 digest = _hashTypedDataV4(_registrationStructHash(registration));
        (uint32 orgId, ) = _authorize(index, digest, signature, uint8(MilestoneKind.Registered), registration.location);
        _checkRegistrationTerms(index, registration, orgId);
        consignmentId = consignmentIdOf(registration.consignor, registration.referenceHash);
        // Ensure a consignment is registered once.
        if (_heads[consignmentId] != bytes32(0)) revert ConsignmentAlreadyRegistered(index, consignmentId);

        _heads[consignmentId] = digest;
        _statuses[consignmentId] = ConsignmentStatus({
            consignor: registration.consignor,
            consignee: registration.consignee,
            originCountry: registration.originCountry,
            destinationCountry: registration.destinationCountry,
            flags: registration.flags,
            status: MilestoneKind.Registered,
            milestoneCount: 1,
            importReleased: false,
            closed: false
        });
        emit ConsignmentRegistered(
            consignmentId,
            signature.signer,
            registration.referenceHash,
            registration.consignor,
            registration.consignee,
            registration.originCountry,
            registration.destinationCountry,
            registration.flags,
            registration.location,
            registration.occurredAt,
            registration.payloadHash
        );
    }

    function _checkRegistrationTerms(uint256 index, Registration calldata registration, uint32 orgId) private view {
        // Ensure the signer speaks for the consignor: ids are namespaced by consignor, so nobody can squat another's.
        if (registration.consignor != orgId) revert ConsignorMismatch(index, registration.consignor, orgId);
        // Ensure the consignee, when named, is a member.
        if (registration.consignee != 0 && _organizations[registration.consignee].kind == OrganizationKind.None) {
            revert UnknownConsignee(index, registration.consignee);
        }
        // Ensure the countries are ISO codes and the flags are known bits.
        if (!_isCountryCode(registration.originCountry)) revert InvalidCountryCode(registration.originCountry);
        if (!_isCountryCode(registration.destinationCountry)) {
            revert InvalidCountryCode(registration.destinationCountry);
        }
        if (registration.flags & ~_ALL_FLAGS != 0) revert InvalidConsignmentFlags(index, registration.flags);
    }

    function _record(uint256 index, Milestone calldata milestone, SignerSignature calldata signature) private {
        uint8 kind = milestone.kind;
        // Ensure the kind exists and is not one with its own entry point.
        if (kind >= _KIND_COUNT || kind == uint8(MilestoneKind.Registered) || kind == uint8(MilestoneKind.Correction))
            revert InvalidMilestoneKind(index, kind);

        bytes32 digest = _hashTypedDataV4(_milestoneStructHash(milestone));
        (uint32 orgId, OrganizationKind orgKind) = _authorize(index, digest, signature, kind, milestone.location);
        _advance(index, milestone.consignmentId, kind, milestone.location, milestone.prevHash, orgId, orgKind, digest);
        emit MilestoneRecorded(
            milestone.consignmentId,
            signature.signer,
            kind,
            milestone.location,
            milestone.occurredAt,
            milestone.payloadHash,
            milestone.prevHash
        );
    }

    /// @dev Checks the signature and the signer's right to sign `kind` at `location`; returns its organization.
    function _authorize(
        uint256 index,
        bytes32 digest,
        SignerSignature calldata signature,
        uint8 kind,
        bytes5 location
    ) private view returns (uint32 orgId, OrganizationKind orgKind) {
        // The same checks as _activeSigner, written out: inlined here they cost about 480 gas less per milestone.
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, signature.r, signature.yParityAndS);
        // Ensure the signature is well formed and made by the claimed key over this domain and these fields.
        if (err != ECDSA.RecoverError.NoError) revert MalformedSignature(index, uint8(err));
        if (recovered != signature.signer) revert SignatureMismatch(index, signature.signer, recovered);

        SignerKey memory key = _signerKeys[recovered];
        // Ensure the key is registered, not revoked, and its organization active.
        if (key.organizationId == 0) revert UnknownSigner(index, recovered);
        if (key.revokedAt != 0) revert SignerKeyRevoked(index, recovered, key.revokedAt);
        orgId = key.organizationId;
        Organization memory org = _organizations[orgId];
        if (!org.active) revert SignerOrganizationInactive(index, orgId);
        orgKind = org.kind;

        // Ensure the organization's kind may sign this milestone kind.
        if ((_ALLOWED_SIGNERS >> (uint256(kind) * 8)) & (1 << uint8(org.kind)) == 0) {
            revert KindNotAllowed(index, kind, org.kind);
        }
        // Ensure customs speaks only inside its own country.
        if (org.kind == OrganizationKind.Customs && bytes2(location) != org.country) {
            revert OutsideJurisdiction(index, org.country, bytes2(location));
        }
    }

    /// @dev Recovers the signer of `digest` and checks it is the claimed, registered, unrevoked key of an active
    /// organization; returns that organization.
    function _activeSigner(
        uint256 index,
        bytes32 digest,
        SignerSignature calldata signature
    ) private view returns (uint32 orgId, Organization memory org) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, signature.r, signature.yParityAndS);
        // Ensure the signature is well formed and made by the claimed key over this domain and these fields.
        if (err != ECDSA.RecoverError.NoError) revert MalformedSignature(index, uint8(err));
        if (recovered != signature.signer) revert SignatureMismatch(index, signature.signer, recovered);

        SignerKey memory key = _signerKeys[recovered];
        // Ensure the key is registered, not revoked, and its organization active.
        if (key.organizationId == 0) revert UnknownSigner(index, recovered);
        if (key.revokedAt != 0) revert SignerKeyRevoked(index, recovered, key.revokedAt);
        orgId = key.organizationId;
        org = _organizations[orgId];
        if (!org.active) revert SignerOrganizationInactive(index, orgId);
    }

    /// @dev Ensures an area names at least one country or place, and every country code is well formed.
    function _checkArea(bytes2[] calldata countries, bytes5[] calldata locations) private pure {
        if (countries.length == 0 && locations.length == 0) revert EmptyArea();
        for (uint256 i = 0; i < countries.length; ++i) {
            if (!_isCountryCode(countries[i])) revert InvalidCountryCode(countries[i]);
        }
        for (uint256 i = 0; i < locations.length; ++i) {
            if (!_isCountryCode(bytes2(locations[i]))) revert InvalidCountryCode(bytes2(locations[i]));
        }
    }

    /// @dev Applies the consignment-level rules, then moves the head to `digest` and the packed status on.
    /// @return milestoneCount The count before this milestone, which is this milestone's index in the history.
    function _advance(
        uint256 index,
        bytes32 consignmentId,
        uint8 kind,
        bytes5 location,
        bytes32 prevHash,
        uint32 orgId,
        OrganizationKind orgKind,
        bytes32 digest
    ) private returns (uint32 milestoneCount) {
        bytes32 head = _heads[consignmentId];
        // Ensure the consignment exists.
        if (head == bytes32(0)) revert UnknownConsignment(index, consignmentId);
        ConsignmentStatus storage status = _statuses[consignmentId];

        // Ensure aid organizations speak only of their own consignments, and party-only kinds come from a party.
        bool isParty = orgId == status.consignor || orgId == status.consignee;
        if (!isParty && (_PARTY_KINDS & (1 << kind) != 0 || orgKind == OrganizationKind.AidOrganization)) {
            revert NotConsignmentParty(index, consignmentId, orgId);
        }
        // Ensure the milestone extends the current head: this orders the history and makes replay impossible.
        if (prevHash != head) revert StaleHead(index, consignmentId, head, prevHash);
        // Ensure nothing but a correction follows a terminal milestone.
        if (status.closed && kind != uint8(MilestoneKind.Correction)) {
            revert ConsignmentClosed(index, consignmentId, status.status);
        }

        _heads[consignmentId] = digest;
        milestoneCount = status.milestoneCount;
        status.milestoneCount = milestoneCount + 1;
        if (kind != uint8(MilestoneKind.Incident) && kind != uint8(MilestoneKind.Correction)) {
            _moveStatus(index, consignmentId, status, kind, bytes2(location));
        }
    }

    /// @dev Moves the status for a kind that changes it; the delivery rule needs the location's country.
    function _moveStatus(
        uint256 index,
        bytes32 consignmentId,
        ConsignmentStatus storage status,
        uint8 kind,
        bytes2 locationCountry
    ) private {
        status.status = MilestoneKind(kind);
        if (_TERMINAL_KINDS & (1 << kind) != 0) status.closed = true;
        bytes2 destination = status.destinationCountry;
        if (locationCountry != destination) return;
        if (kind == uint8(MilestoneKind.Released)) {
            status.importReleased = true;
        } else if (kind == uint8(MilestoneKind.Held)) {
            status.importReleased = false;
        } else if (
            (kind == uint8(MilestoneKind.Delivered) || kind == uint8(MilestoneKind.Received)) && !status.importReleased
        ) {
            // Ensure goods are not handed over in the destination country before its customs released them.
            revert ImportReleaseRequired(index, consignmentId, destination);
        }
    }

    function _checkBatchShape(uint256 items, uint256 signatures) private pure {
        // Ensure the batch is non-empty and every item has its signature.
        if (items == 0) revert EmptyBatch();
        if (items != signatures) revert SignatureCountMismatch(items, signatures);
    }

    function _checkOrganizationAdmin(uint32 organizationId, Organization storage org) private view {
        // Ensure the caller is governance or this organization's own admin key.
        if (hasRole(GOVERNOR_ROLE, msg.sender)) return;
        if (org.admin == address(0) || org.admin != msg.sender) {
            revert UnauthorizedOrganizationAdmin(organizationId, msg.sender);
        }
    }

    function _existingOrganization(uint32 organizationId) private view returns (Organization storage org) {
        org = _organizations[organizationId];
        if (org.kind == OrganizationKind.None) revert UnknownOrganization(organizationId);
    }

    function _milestoneStructHash(Milestone calldata m) private pure returns (bytes32 structHash) {
        // The struct is six static words in calldata, laid out exactly as EIP-712's encodeData wants them, so it is
        // hashed in place in scratch memory instead of being re-encoded field by field on every milestone of a batch.
        // Dirty (non-canonical) words only yield a digest nobody signed, which fails the signature check.
        bytes32 typehash = _MILESTONE_TYPEHASH;
        // Reviewed, and cross-checked against ethers' digests for every kind in the tests.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), m, 0xc0)
            structHash := keccak256(ptr, 0xe0)
        }
    }

    function _registrationStructHash(Registration calldata r) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _REGISTRATION_TYPEHASH,
                    r.referenceHash,
                    r.consignor,
                    r.consignee,
                    r.originCountry,
                    r.destinationCountry,
                    r.flags,
                    r.location,
                    r.occurredAt,
                    r.payloadHash
                )
            );
    }

    function _correctionStructHash(Correction calldata c) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _CORRECTION_TYPEHASH,
                    c.consignmentId,
                    c.correctedIndex,
                    c.location,
                    c.occurredAt,
                    c.payloadHash,
                    c.prevHash
                )
            );
    }

    /// @dev Loose ISO 3166-1 alpha-2 check: two upper-case ASCII letters. The node checks the real list.
    function _warningStructHash(Warning calldata w) private pure returns (bytes32) {
        // EIP-712 encodes an array as the hash of its elements' 32-byte encodings, which is what encodePacked gives
        // for an array of bytesN.
        return
            keccak256(
                abi.encode(
                    _WARNING_TYPEHASH,
                    w.warningId,
                    w.kind,
                    w.severity,
                    keccak256(abi.encodePacked(w.countries)),
                    keccak256(abi.encodePacked(w.locations)),
                    w.validFrom,
                    w.validUntil,
                    w.payloadHash
                )
            );
    }

    function _isCountryCode(bytes2 code) private pure returns (bool) {
        return _isUpper(code[0]) && _isUpper(code[1]);
    }

    function _isUpper(bytes1 c) private pure returns (bool) {
        return c >= "A" && c <= "Z";
    }

    /// @dev The clock, in one place so a test harness could move it.
    function _time() internal view virtual returns (uint64) {
        // Key revocation and compromise are times by nature; QBFT blocks carry the validators' clock, and a second or
        // two of skew only moves a revocation by that much.
        // solhint-disable-next-line not-rely-on-time
        return uint64(block.timestamp);
    }
}
