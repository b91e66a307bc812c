/**
 * Consortium changes the node makes with the governance key: registering organizations and managing their signer
 * keys. In production that key is a multisig's or timelock's, usually not on a node; a node without it reports
 * GOVERNANCE_NOT_CONFIGURED and leaves those changes to the consortium.
 */
import { Contract, isError } from "ethers";
import type { Wallet } from "ethers";
import { ConsignmentLedger__factory } from "../../typechain-types";
import type { ConsignmentLedger } from "../../typechain-types";
import { LedgerError } from "../errors";
import { toCountryBytes, toLocationBytes } from "../domain/locationCodes";
import type { DeploymentRecord } from "./ledgerDeployment";

export class Governance {
  private readonly contract: ConsignmentLedger | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deployment: DeploymentRecord, governor: Wallet | undefined) {
    this.contract = governor
      ? (new Contract(
          deployment.address,
          ConsignmentLedger__factory.createInterface(),
          governor,
        ) as unknown as ConsignmentLedger)
      : undefined;
  }

  get configured(): boolean {
    return this.contract !== undefined;
  }

  async registerOrganization(kind: number, country: string, admin: string, name: string): Promise<number> {
    return this.transact("register an organization", async (ledger) => {
      const receipt = await (await ledger.registerOrganization(kind, toCountryBytes(country), admin, name)).wait();
      const log = receipt!.logs
        .map((l) => ledger.interface.parseLog(l))
        .find((p) => p?.name === "OrganizationRegistered");
      return Number(log!.args.organizationId);
    });
  }

  async addSigner(organizationId: number, signer: string): Promise<void> {
    await this.transact("add a signer key", async (ledger) => (await ledger.addSigner(organizationId, signer)).wait());
  }

  async revokeSigner(signer: string, compromisedAt: number): Promise<void> {
    await this.transact("revoke a signer key", async (ledger) =>
      (await ledger.revokeSigner(signer, compromisedAt)).wait(),
    );
  }

  async publishEndpoint(organizationId: number, endpoint: string): Promise<void> {
    await this.transact("publish an organization's endpoint", async (ledger) =>
      (await ledger.publishOrganizationEndpoint(organizationId, endpoint)).wait(),
    );
  }

  async declareEmergency(e: {
    emergencyId: string;
    countries: string[];
    locations: string[];
    startsAt: number;
    endsAt: number;
    documentHash: string;
  }): Promise<{ txHash: string; blockNumber: number }> {
    return this.transact(
      "declare an emergency",
      async (ledger) => {
        const receipt = await (
          await ledger.declareEmergency(
            e.emergencyId,
            e.countries.map(toCountryBytes),
            e.locations.map(toLocationBytes),
            e.startsAt,
            e.endsAt,
            e.documentHash,
          )
        ).wait();
        return { txHash: receipt!.hash, blockNumber: receipt!.blockNumber };
      },
      "INVALID_EMERGENCY",
    );
  }

  async endEmergency(emergencyId: string): Promise<{ txHash: string; blockNumber: number }> {
    return this.transact(
      "end an emergency",
      async (ledger) => {
        const receipt = await (await ledger.endEmergency(emergencyId)).wait();
        return { txHash: receipt!.hash, blockNumber: receipt!.blockNumber };
      },
      "INVALID_EMERGENCY",
    );
  }

  /** One governance transaction at a time, so their nonces never collide. */
  private transact<T>(
    what: string,
    operation: (ledger: ConsignmentLedger) => Promise<T>,
    refusedCode: "INVALID_ORGANIZATION" | "INVALID_EMERGENCY" = "INVALID_ORGANIZATION",
  ): Promise<T> {
    const ledger = this.contract;
    if (!ledger) {
      return Promise.reject(
        new LedgerError("GOVERNANCE_NOT_CONFIGURED", `this node holds no governance key to ${what}; set GOVERNOR_KEY`),
      );
    }
    const run = this.queue.then(
      () => withNonceRetry(() => operation(ledger)),
      () => withNonceRetry(() => operation(ledger)),
    );
    this.queue = run.catch(() => undefined);
    return run.catch((cause: unknown) => {
      const data = (cause as { data?: unknown }).data;
      const decoded = typeof data === "string" && data.length >= 10 ? ledger.interface.parseError(data) : null;
      if (decoded) {
        throw new LedgerError(
          refusedCode,
          `the contract refused to ${what}: ${decoded.name}`,
          { rule: decoded.name },
          { cause },
        );
      }
      throw new LedgerError("CHAIN_UNAVAILABLE", `the chain did not answer when asked to ${what}`, undefined, {
        cause,
      });
    });
  }
}

/**
 * Another process using the same governance key (two nodes on one development chain) can take the nonce between
 * our read of it and our send; the chain then refuses ours as a replacement. Sending again reads a fresh nonce.
 */
async function withNonceRetry<T>(operation: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const raced = isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED");
      if (!raced || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 150 * attempt + Math.random() * 200));
    }
  }
}
