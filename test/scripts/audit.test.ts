/**
 * The auditor's CLI, run as a separate process against the chain alone: consignments, everything, and evidence
 * bundles, good and tampered. A bundle gets the same verdict here as from POST /v1/verify.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Wallet } from "ethers";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../support/nodeHarness";
import type { TestNodeEnvironment } from "../support/nodeHarness";
import { BUNDLE_TAMPERS } from "../support/bundleTampers";
import type { RunningNode } from "../../server/ledgerNode";
import type { EvidenceBundle } from "../../server/domain/evidenceBundle";
import type { AuditReport } from "../../server/chain/audit";
import { Governance } from "../../server/chain/governance";
import { ANVIL_DEPLOYER_KEY } from "../../server/chain/localChain";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");

describe("scripts/audit.ts (npm run audit)", function () {
  this.timeout(240_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let work: string;
  let consignmentId: string;
  let consignorToken: string;
  let ids: { kenyaCustoms: number; ugandaCustoms: number };

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    work = mkdtempSync(join(tmpdir(), "audit-cli-"));
    const admin = node.bootstrapToken!;
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const carrier = await api.member(admin, "Carrier", "KE", "Haulage");
    const kenyaCustoms = await api.member(admin, "Customs", "KE", "KRA");
    const ugandaCustoms = await api.member(admin, "Customs", "UG", "URA");
    ids = { kenyaCustoms: kenyaCustoms.id, ugandaCustoms: ugandaCustoms.id };
    consignorToken = consignor.token;
    const r = await api.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE2026REL-AUDIT",
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: isoNow(-60),
      payload: { packages: 3 },
    });
    consignmentId = r.body.consignmentId as string;
    const steps: Array<[string, string, string]> = [
      [carrier.token, "Dispatched", "KEMBA"],
      [kenyaCustoms.token, "ExportCleared", "KEMAL"],
      [carrier.token, "Departed", "KEMAL"],
    ];
    for (const [i, [token, kind, location]] of steps.entries()) {
      await api.post(`/v1/consignments/${consignmentId}/milestones`, token, {
        eventId: `m${i}`,
        kind,
        location,
        occurredAt: isoNow(-50 + i),
      });
    }
    await api.settled(carrier.token, "m2");
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function audit(...target: string[]): Promise<{ code: number; stdout: string; report?: AuditReport }> {
    const json = join(work, `report-${Date.now()}-${Math.random()}.json`);
    const args = [
      "-r",
      "ts-node/register/transpile-only",
      "scripts/audit.ts",
      "--rpc",
      node.chain!.rpcUrl,
      "--deployment",
      environment.env.DEPLOYMENT_FILE,
      ...target,
      "--json",
      json,
    ];
    try {
      const { stdout } = await run(process.execPath, args, { cwd: ROOT });
      return { code: 0, stdout, report: JSON.parse(readFileSync(json, "utf8")) as AuditReport };
    } catch (error) {
      const e = error as { code: number; stdout: string };
      let report: AuditReport | undefined;
      try {
        report = JSON.parse(readFileSync(json, "utf8")) as AuditReport;
      } catch {
        report = undefined;
      }
      return { code: e.code, stdout: e.stdout, report };
    }
  }

  async function bundleFile(
    tamper?: (b: EvidenceBundle) => Promise<void> | void,
  ): Promise<{ path: string; bundle: EvidenceBundle }> {
    const bundle = (await api.get(`/v1/consignments/${consignmentId}/evidence`, consignorToken))
      .body as unknown as EvidenceBundle;
    if (tamper) await tamper(bundle);
    const path = join(work, `bundle-${Math.random()}.json`);
    writeFileSync(path, JSON.stringify(bundle));
    return { path, bundle };
  }

  it("verifies a consignment from the chain alone and exits 0 with a readable report", async function () {
    const result = await audit("--consignment", consignmentId);
    expect(result.code, result.stdout).to.equal(0);
    expect(result.stdout).to.include(`VERIFIED ${consignmentId} (4 milestones)`);
    expect(result.report?.milestonesChecked).to.equal(4);
  });

  it("verifies every consignment with --all", async function () {
    const result = await audit("--all");
    expect(result.code).to.equal(0);
    expect(result.report?.consignments.map((c) => c.consignmentId)).to.include(consignmentId);
  });

  it("exits 1 for a consignment the chain does not have", async function () {
    const result = await audit("--consignment", "0x" + "cd".repeat(32));
    expect(result.code).to.equal(1);
  });

  it("exits 2 with its usage for a missing target", async function () {
    try {
      await run(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "scripts/audit.ts", "--rpc", node.chain!.rpcUrl],
        { cwd: ROOT },
      );
      expect.fail("the CLI accepted no target");
    } catch (error) {
      expect((error as { code: number }).code).to.equal(2);
      expect((error as { stderr: string }).stderr).to.include("usage: npm run audit");
    }
  });

  it("verifies an untouched evidence bundle, with the same verdict as POST /v1/verify", async function () {
    const { path, bundle } = await bundleFile();
    const result = await audit("--bundle", path);
    expect(result.code, result.stdout).to.equal(0);
    const fromApi = await api.post("/v1/verify", undefined, bundle);
    expect(fromApi.body.verdict).to.equal(result.report!.consignments[0].verdict);
  });

  for (const { name, code, tamper } of BUNDLE_TAMPERS) {
    it(`catches ${name} in a bundle with ${code}, exactly as the API does`, async function () {
      const governance = new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));
      const { path, bundle } = await bundleFile((b) =>
        tamper(b, { governance, otherOrganizationId: ids.ugandaCustoms, signingOrganizationId: ids.kenyaCustoms }),
      );
      const result = await audit("--bundle", path);
      expect(result.code, result.stdout).to.equal(1);
      const cli = result.report!.consignments[0];
      expect(cli.verdict).to.equal("failed");
      expect(cli.failures.map((f) => f.code)).to.include(code);
      const fromApi = await api.post("/v1/verify", undefined, bundle);
      expect(fromApi.body.failures).to.deep.equal(cli.failures);
    });
  }
});
