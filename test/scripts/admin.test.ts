import { expect } from "chai";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { NodeClient, removeDataDir, startTestNode, testNodeEnvironment } from "../support/nodeHarness";
import type { TestNodeEnvironment } from "../support/nodeHarness";
import type { RunningNode } from "../../server/ledgerNode";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");

describe("scripts/admin.ts (npm run admin)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
  });
  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  async function admin(...args: string[]) {
    try {
      const { stdout } = await run(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "scripts/admin.ts", ...args],
        {
          cwd: ROOT,
          // No LEDGER_API_KEY: the CLI reads the bootstrap key from the local node's data directory.
          env: { ...process.env, LEDGER_URL: node.url, DATA_DIR: environment.dataDir, LEDGER_API_KEY: "" },
        },
      );
      return { code: 0, out: JSON.parse(stdout) as Record<string, unknown> };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout ? (JSON.parse(e.stdout) as Record<string, unknown>) : {}, stderr: e.stderr };
    }
  }

  it("hosts an organization, issues its key, rotates and revokes signer keys", async function () {
    const hosted = await admin(
      "org:host",
      "--kind",
      "Customs",
      "--country",
      "TZ",
      "--name",
      "Tanzania Revenue Authority",
    );
    expect(hosted.code).to.equal(0);
    expect(hosted.out).to.include({ kind: "Customs", country: "TZ", signerAddedOnChain: true });
    const id = String(hosted.out.id);

    const key = await admin("apikey:issue", "--org", id, "--role", "submitter", "--label", "TRA clearance system");
    expect(key.out.token).to.match(/^clk_/);
    expect((await new NodeClient(node.url).get("/v1/milestones/none", key.out.token as string)).status).to.equal(404);

    const rotated = await admin("key:rotate", "--org", id, "--revoke-previous");
    const signers = rotated.out.signers as Array<{ address: string; revokedAt?: string }>;
    expect(signers).to.have.length(2);
    expect(signers[0].revokedAt).to.be.a("string");
    expect((await node.client.readSignerKey(signers[0].address))?.revokedAt).to.be.greaterThan(0);
    expect((await node.client.readSignerKey(signers[1].address))?.revokedAt).to.equal(0);

    const revokedKey = await admin("apikey:revoke", "--key-id", key.out.keyId as string);
    expect(revokedKey.out.revokedAt).to.be.a("string");
  });

  it("exits non-zero with the node's coded error for a bad request", async function () {
    const result = await admin("org:host", "--kind", "Customs", "--country", "tz", "--name", "lower-case country");
    expect(result.code).to.equal(1);
    expect((result.out.error as { code: string }).code).to.equal("INVALID_REQUEST");
  });

  it("prints its usage and exits 2 for an unknown command", async function () {
    const result = await admin("frobnicate");
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("usage: npm run admin");
  });
});
