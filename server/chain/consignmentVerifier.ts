/**
 * Runs the verification of server/domain/verification against the chain's facts, for a consignment rebuilt from
 * logs, for every consignment, or for an evidence bundle. The node's API and the auditor's CLI both use it, so a
 * bundle gets the same verdict from either.
 */
import type { JsonValue } from "../domain/payloadHash";
import { milestonesOfBundle } from "../domain/evidenceBundle";
import type { EvidenceBundle } from "../domain/evidenceBundle";
import { verifyHistory } from "../domain/verification";
import type { HistoryVerdict, VerifiableMilestone, VerificationContext } from "../domain/verification";
import type { ChainDirectory, ChainHistory } from "./chainHistory";

/** Where a consignment's history, the directory and the head come from: the chain's logs, or the node's index. */
export interface HistorySource {
  deployment: ChainHistory["deployment"];
  histories(consignmentId?: string): Promise<Map<string, VerifiableMilestone[]>>;
  directory(): Promise<ChainDirectory>;
  head(consignmentId: string): Promise<string | undefined>;
}

export interface ConsignmentVerification {
  consignmentId: string;
  history: VerifiableMilestone[];
  directory: ChainDirectory;
  result: HistoryVerdict;
}

export class ConsignmentVerifier {
  /**
   * @param chain the chain's logs: bundles and `verifyAll` are always checked against them.
   * @param consignments where single consignments are read from: the chain (the audit) or the node's index (the API).
   */
  constructor(
    readonly chain: ChainHistory,
    private readonly consignments: HistorySource = chain,
  ) {}

  get deployment() {
    return this.chain.deployment;
  }

  /** One consignment from the chain's logs, with the documents the caller may see attached. */
  async verifyConsignment(
    consignmentId: string,
    documentOf: (m: VerifiableMilestone) => Promise<JsonValue | undefined> = async () => undefined,
  ): Promise<ConsignmentVerification> {
    const id = consignmentId.toLowerCase();
    const [histories, directory, head] = await Promise.all([
      this.consignments.histories(id),
      this.consignments.directory(),
      this.consignments.head(id),
    ]);
    const history = await Promise.all(
      (histories.get(id) ?? []).map(async (m) => ({ ...m, document: await documentOf(m) })),
    );
    // Rebuilt from the logs themselves, so each milestone is where the chain says it is.
    const result = verifyHistory(
      history,
      this.context(directory, head, () => true),
    );
    return { consignmentId: id, history, directory, result };
  }

  /** Every consignment on the chain. */
  async verifyAll(): Promise<ConsignmentVerification[]> {
    const [histories, directory] = await Promise.all([this.chain.histories(), this.chain.directory()]);
    const ids = [...histories.keys()];
    const heads = await Promise.all(ids.map((id) => this.chain.head(id)));
    return ids.map((id, i) => {
      const history = histories.get(id)!;
      return {
        consignmentId: id,
        history,
        directory,
        result: verifyHistory(
          history,
          this.context(directory, heads[i], () => true),
        ),
      };
    });
  }

  /**
   * One milestone with its document, signature and chain reference: everything but the links to its neighbours
   * and the head, which need the whole history.
   */
  async verifyMilestone(bundle: EvidenceBundle): Promise<HistoryVerdict> {
    const [m] = milestonesOfBundle(bundle);
    const [directory, present] = await Promise.all([this.chain.directory(), this.chain.isAtClaimedPosition(m)]);
    const result = verifyHistory(
      [m],
      this.context(directory, undefined, () => present),
    );
    const checks = result.milestones[0].checks.filter((c) => c.check !== "linksToPrevious");
    const failures = result.failures.filter((f) => f.index !== null && checks.some((c) => c.code === f.code));
    const milestones = [{ ...result.milestones[0], checks, verified: checks.every((c) => c.ok !== false) }];
    return {
      verdict: failures.length ? "failed" : "verified",
      milestones,
      head: { ...result.head, ok: true },
      failures,
    };
  }

  /** A bundle, against the chain: its domain, every milestone's position in the logs, the keys and the head. */
  async verifyBundle(bundle: EvidenceBundle): Promise<HistoryVerdict> {
    const history = milestonesOfBundle(bundle);
    const [directory, head] = await Promise.all([this.chain.directory(), this.chain.head(bundle.consignmentId)]);
    const present = await Promise.all(history.map((m) => this.chain.isAtClaimedPosition(m)));
    const onChain = new Map(history.map((m, i) => [m, present[i]]));
    const result = verifyHistory(
      history,
      this.context(directory, head, (m) => onChain.get(m) === true),
    );
    const wrongDomain =
      bundle.chainId !== Number(this.deployment.chainId) ||
      bundle.contract.toLowerCase() !== this.deployment.address.toLowerCase();
    const forgedHead = head === undefined || bundle.head.toLowerCase() !== head.toLowerCase();
    const extra = [
      ...(wrongDomain
        ? [
            {
              index: null,
              code: "WRONG_DOMAIN" as const,
              message: `the bundle is for chain ${bundle.chainId}, contract ${bundle.contract}; this chain is ${this.deployment.chainId}, contract ${this.deployment.address}`,
            },
          ]
        : []),
      ...(forgedHead && result.head.ok
        ? [
            {
              index: null,
              code: "HEAD_MISMATCH" as const,
              message: `the bundle claims head ${bundle.head}; the chain stores ${head ?? "(none)"}`,
            },
          ]
        : []),
    ];
    const failures = [...extra, ...result.failures];
    return {
      ...result,
      head: { ...result.head, ok: result.head.ok && !forgedHead },
      failures,
      verdict: failures.length ? "failed" : "verified",
    };
  }

  private context(
    directory: ChainDirectory,
    head: string | undefined,
    onChain: (m: VerifiableMilestone) => boolean,
  ): VerificationContext {
    return {
      deployment: { chainId: this.deployment.chainId, address: this.deployment.address },
      keyOf: (signer) => directory.keys.get(signer.toLowerCase()),
      organizationOf: (id) => directory.organizations.get(id),
      onChain,
      chainHead: head,
    };
  }
}
