/**
 * The auditor's check, used by `npm run audit` and its benchmark: rebuild histories from the chain alone and
 * re-run every verification, for one consignment, every consignment, or an evidence bundle.
 */
import { JsonRpcProvider } from "ethers";
import { readFileSync } from "node:fs";
import { evidenceBundleSchema } from "../domain/evidenceBundle";
import type { HistoryVerdict } from "../domain/verification";
import { ChainHistory } from "./chainHistory";
import { ConsignmentVerifier } from "./consignmentVerifier";
import { readDeploymentRecord } from "./ledgerDeployment";

export type AuditTarget = { consignment: string } | { bundle: string } | { all: true };

export interface AuditReport {
  chainId: number;
  contract: string;
  target: string;
  consignments: Array<{
    consignmentId: string;
    milestones: number;
    verdict: HistoryVerdict["verdict"];
    failures: HistoryVerdict["failures"];
  }>;
  milestonesChecked: number;
  failed: number;
  seconds: number;
}

export async function runAudit(options: {
  rpcUrl: string;
  deploymentFile: string;
  target: AuditTarget;
}): Promise<AuditReport> {
  const started = process.hrtime.bigint();
  const deployment = readDeploymentRecord(options.deploymentFile);
  const provider = new JsonRpcProvider(options.rpcUrl, deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const verifier = new ConsignmentVerifier(new ChainHistory(provider, deployment));
    let consignments: AuditReport["consignments"];
    let target: string;
    if ("bundle" in options.target) {
      target = `bundle ${options.target.bundle}`;
      const bundle = evidenceBundleSchema.parse(JSON.parse(readFileSync(options.target.bundle, "utf8")));
      const result = await verifier.verifyBundle(bundle);
      consignments = [
        {
          consignmentId: bundle.consignmentId,
          milestones: bundle.milestones.length,
          verdict: result.verdict,
          failures: result.failures,
        },
      ];
    } else if ("consignment" in options.target) {
      target = `consignment ${options.target.consignment}`;
      const v = await verifier.verifyConsignment(options.target.consignment);
      consignments = [
        {
          consignmentId: v.consignmentId,
          milestones: v.history.length,
          verdict: v.history.length ? v.result.verdict : "failed",
          failures: v.history.length
            ? v.result.failures
            : [{ index: null, code: "NOT_ON_CHAIN", message: "the chain has no such consignment" }],
        },
      ];
    } else {
      target = "all consignments";
      consignments = (await verifier.verifyAll()).map((v) => ({
        consignmentId: v.consignmentId,
        milestones: v.history.length,
        verdict: v.result.verdict,
        failures: v.result.failures,
      }));
    }
    return {
      chainId: Number(deployment.chainId),
      contract: deployment.address,
      target,
      consignments,
      milestonesChecked: consignments.reduce((n, c) => n + c.milestones, 0),
      failed: consignments.filter((c) => c.verdict !== "verified").length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    provider.destroy();
  }
}

export function formatAuditReport(report: AuditReport): string {
  const lines = [
    `Consignment Ledger audit: ${report.target}`,
    `chain ${report.chainId}, contract ${report.contract}`,
    "",
  ];
  for (const c of report.consignments) {
    lines.push(`${c.verdict === "verified" ? "VERIFIED" : "FAILED  "} ${c.consignmentId} (${c.milestones} milestones)`);
    for (const f of c.failures)
      lines.push(`         ${f.index === null ? "history" : `#${f.index}`}: ${f.code}: ${f.message}`);
  }
  lines.push(
    "",
    `${report.consignments.length - report.failed} of ${report.consignments.length} consignments verified, ` +
      `${report.milestonesChecked} milestones checked in ${report.seconds.toFixed(2)} s`,
  );
  return lines.join("\n");
}
