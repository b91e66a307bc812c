import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers } from "hardhat";
import {
  deployConsignmentLedger,
  readDeploymentRecord,
  writeDeploymentRecord,
} from "../../../server/chain/ledgerDeployment";
import { ConsignmentLedger__factory } from "../../../typechain-types";

describe("ledgerDeployment", function () {
  it("deploys the contract and writes a record that finds it again", async function () {
    const [deployer, admin] = await ethers.getSigners();
    const record = await deployConsignmentLedger(deployer, {
      network: "hardhat",
      admin: admin.address,
      adminTransferDelay: 3600,
    });
    const dir = mkdtempSync(join(tmpdir(), "ledger-deployment-"));
    try {
      const path = join(dir, "deployments", "hardhat.json");
      writeDeploymentRecord(path, record);
      const read = readDeploymentRecord(path);
      expect(read).to.deep.equal(record);
      expect(read.chainId).to.equal(31337);
      expect(read.contractVersion).to.equal("1.0.0");
      const ledger = ConsignmentLedger__factory.connect(read.address, ethers.provider);
      expect(await ledger.defaultAdmin()).to.equal(admin.address);
      expect(await ledger.defaultAdminDelay()).to.equal(3600);
      const deployedIn = await ethers.provider.getTransactionReceipt(read.deploymentTransaction);
      expect(deployedIn?.blockNumber).to.equal(read.deploymentBlock);
      expect(deployedIn?.contractAddress).to.equal(read.address);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
