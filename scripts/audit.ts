/**
 * The auditor's own tool: it trusts only the chain (over JSON-RPC) and the signatures, and talks to no node.
 *   npm run audit -- --rpc URL --deployment FILE (--consignment ID | --bundle FILE | --all) [--json FILE]
 * Exits 0 when everything verifies, 1 when anything fails, 2 on a usage error.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatAuditReport, runAudit } from "../server/chain/audit";
import type { AuditTarget } from "../server/chain/audit";

const USAGE =
  "usage: npm run audit -- --rpc URL --deployment FILE (--consignment ID | --bundle FILE | --all) [--json FILE]\n";

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rpc: { type: "string" },
        deployment: { type: "string" },
        consignment: { type: "string" },
        bundle: { type: "string" },
        all: { type: "boolean" },
        json: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`audit: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const targets = [values.consignment, values.bundle, values.all].filter(Boolean).length;
  if (!values.rpc || !values.deployment || targets !== 1) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const target: AuditTarget = values.consignment
    ? { consignment: values.consignment }
    : values.bundle
      ? { bundle: values.bundle }
      : { all: true };
  const report = await runAudit({ rpcUrl: values.rpc, deploymentFile: values.deployment, target });
  process.stdout.write(formatAuditReport(report) + "\n");
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + "\n");
  process.exitCode = report.failed === 0 && report.consignments.length > 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`audit: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
