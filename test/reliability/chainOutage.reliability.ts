/**
 * Chain outage: the node process on an external chain (an anvil this test controls) under load from retrying clients.
 *   1. The chain stops for 30 s and comes back from its persisted state: meanwhile ingest acknowledges or answers
 *      503, /readyz says the chain is why, and afterwards everything acknowledged is recorded exactly once.
 *   2. The chain is killed before it persisted its last blocks and comes back without them: the running node notices,
 *      queues again what the chain lost, and records it again, exactly once.
 * RELIABILITY_OUTAGE_SECONDS sets the outage (30).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeClient, freePort, isoNow } from "../support/nodeHarness";
import { runNode, stopNode } from "../support/nodeProcess";
import type { NodeProcess } from "../support/nodeProcess";
import { RequestTally, planCarrierTraffic, runRetryingClient, sleep } from "../support/retryingClients";
import type { RetryingClient } from "../support/retryingClients";
import { auditEverything, outboxDrained, tallyChain } from "../support/chainTally";
import { launchStandInChain } from "../support/standInChain";
import type { StandInChain } from "../support/standInChain";

const OUTAGE_SECONDS = Number(process.env.RELIABILITY_OUTAGE_SECONDS ?? 30);

describe("chain outage and a chain that lost its last blocks", function () {
  this.timeout(600_000);
  let standIn: StandInChain;
  let dataDir: string;
  let node: NodeProcess;
  let carriers: Array<{ organizationId: number; token: string }>;
  const tally = new RequestTally();

  before(async function () {
    standIn = await launchStandInChain({ blockTime: 1 });
    dataDir = mkdtempSync(join(tmpdir(), "ledger-outage-"));
    node = await runNode({
      ...standIn.nodeEnv(dataDir),
      PORT: String(await freePort()),
      LOG_LEVEL: "warn",
      BATCH_WAIT_MS: "200",
    });
    const api = new NodeClient(node.url);
    const admin = node.bootstrapToken!;
    carriers = [];
    for (const name of ["Northern Corridor Haulage", "Lake Victoria Shipping"]) {
      const member = await api.member(admin, "Carrier", "KE", name);
      carriers.push({ organizationId: member.id, token: member.token });
    }
  });

  after(async function () {
    if (node) await stopNode(node);
    await standIn?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function load(
    prefix: string,
    requests: number,
    deadline: number,
  ): { clients: RetryingClient[]; done: Promise<void> } {
    const clients = carriers.map((carrier, i) =>
      planCarrierTraffic(carrier, { prefix: `${prefix}${i}`, consignments: 2, requests, occurredAt: isoNow(-600) }),
    );
    const done = Promise.all(
      clients.map((client) => runRetryingClient(() => node.url, client, tally, { deadline, pauseMs: () => 40 })),
    ).then(() => undefined);
    return { clients, done };
  }

  it(`acknowledges or answers 503 through a ${OUTAGE_SECONDS} s outage, says why, and records everything after`, async function () {
    const traffic = load("outage", 150, Date.now() + 300_000);
    await sleep(3_000);
    const before = { ...tally.statusCounts() };
    await standIn.chain.stop();
    const outageStarted = Date.now();
    const readyz: Array<{ status: number; chain?: { ok: boolean; error?: string }; submitter?: { ok: boolean } }> = [];
    while (Date.now() - outageStarted < OUTAGE_SECONDS * 1000) {
      const response = await fetch(`${node.url}/readyz`);
      const body = (await response.json()) as { checks: { chain: { ok: boolean; error?: string } } };
      readyz.push({ status: response.status, chain: body.checks.chain });
      await sleep(1_000);
    }
    const during = diff(tally.statusCounts(), before);
    await standIn.relaunch();
    await traffic.done;
    await outboxDrained(node.url, 180_000);

    const onChain = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);
    console.log(`      answers during the outage: ${JSON.stringify(during)}`);
    console.log(
      `      /readyz during the outage: ${readyz[readyz.length - 1].status} ${JSON.stringify(readyz.at(-1)?.chain)}`,
    );
    console.log(
      `      acknowledged ${onChain.acknowledged}, recorded ${onChain.recorded}, duplicates ${onChain.duplicates}, ` +
        `lost ${onChain.lost}, refused but recorded ${onChain.refusedButRecorded}`,
    );
    // Every answer in the outage was final (202, a planned refusal) or 503 with a code: nothing else, nothing silent.
    for (const status of Object.keys(during)) {
      expect(status).to.match(/^(202|409 IDEMPOTENCY_CONFLICT|422 KIND_NOT_ALLOWED|503 CHAIN_UNAVAILABLE)$/);
    }
    expect(readyz.length).to.be.greaterThan(OUTAGE_SECONDS / 2);
    for (const answer of readyz.slice(3)) {
      expect(answer.status).to.equal(503);
      expect(answer.chain?.ok).to.equal(false);
      expect(answer.chain?.error).to.be.a("string").and.not.equal("");
    }
    expect(tally.surprises.length, tally.surprises.slice(0, 5).join("\n")).to.equal(0);
    expect(onChain.lost).to.equal(0);
    expect(onChain.duplicates).to.equal(0);
    expect(onChain.refusedButRecorded).to.equal(0);
    expect(onChain.recorded).to.equal(onChain.acknowledged);
    expect((await fetch(`${node.url}/readyz`)).status).to.equal(200);
  });

  it("notices at run time that the chain lost its last blocks, and records again what they held", async function () {
    // From here the chain persists its state only when it is stopped gracefully, so a kill loses every later block.
    await standIn.chain.stop();
    await standIn.relaunch({ stateIntervalSeconds: 3_600 });
    const traffic = load("lost", 40, Date.now() + 300_000);
    await traffic.done;
    await outboxDrained(node.url, 120_000);
    const beforeKill = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);
    expect(beforeKill.lost).to.equal(0);

    await standIn.chain.kill();
    await standIn.relaunch({ stateIntervalSeconds: 1 });
    const afterRestart = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);
    // The blocks of this second load are really gone.
    expect(afterRestart.lost).to.be.greaterThan(50);

    const deadline = Date.now() + 180_000;
    let now = afterRestart;
    while (now.lost > 0 && Date.now() < deadline) {
      await sleep(1_000);
      now = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);
    }
    await outboxDrained(node.url, 120_000);
    const final = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const requeued = Number(/^ledger_events_requeued_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    const audit = await auditEverything(standIn.chain.rpcUrl, standIn.deploymentFile);
    console.log(
      `      lost with the blocks ${afterRestart.lost}, queued again ${requeued}; finally acknowledged ` +
        `${final.acknowledged}, recorded ${final.recorded}, duplicates ${final.duplicates}, lost ${final.lost}`,
    );
    console.log(`      audit: ${audit.output.trim().split("\n").at(-1)}`);
    expect(requeued).to.be.at.least(afterRestart.lost);
    expect(final.lost).to.equal(0);
    expect(final.duplicates).to.equal(0);
    expect(final.recorded).to.equal(final.acknowledged);
    expect(final.refusedButRecorded).to.equal(0);
    expect(audit.code, audit.output).to.equal(0);
  });
});

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([status, n]) => [status, n - (before[status] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}
