// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

// Brings the Ethereum Attestation Service's own contracts, unchanged from the npm package, into the build, so the
// gas benchmark can deploy them beside the ledger. Not part of the ledger.
import {EAS} from "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol";
import {SchemaRegistry} from "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol";
