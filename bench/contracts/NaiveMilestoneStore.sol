// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title NaiveMilestoneStore: A BASELINE FOR THE GAS BENCHMARK, NOT PART OF THE LEDGER
/// @notice The design the ledger is measured against: one transaction per event, storing the whole milestone struct
/// (and who sent it) in contract storage, and emitting an event. It checks nothing.
contract NaiveMilestoneStore {
    struct StoredMilestone {
        bytes32 consignmentId;
        uint8 kind;
        bytes5 location;
        uint64 occurredAt;
        bytes32 payloadHash;
        bytes32 prevHash;
        address poster;
    }

    mapping(bytes32 consignmentId => StoredMilestone[] history) private _histories;

    event MilestoneStored(bytes32 indexed consignmentId, uint256 index, address indexed poster);

    function store(
        bytes32 consignmentId,
        uint8 kind,
        bytes5 location,
        uint64 occurredAt,
        bytes32 payloadHash,
        bytes32 prevHash
    ) external {
        StoredMilestone[] storage history = _histories[consignmentId];
        history.push(StoredMilestone(consignmentId, kind, location, occurredAt, payloadHash, prevHash, msg.sender));
        emit MilestoneStored(consignmentId, history.length - 1, msg.sender);
    }

    function milestoneCount(bytes32 consignmentId) external view returns (uint256) {
        return _histories[consignmentId].length;
    }
}
