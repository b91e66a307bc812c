/**
 * Crash: the node as `npm start` runs it (its own process, embedded anvil at 1 s blocks) under load from four
 * carriers' systems that retry until answered, killed with SIGKILL at seeded random moments and restarted each time.
 * The clients keep sending until the last kill. Afterwards every event ever answered 202 is on chain exactly once,
 * nothing refused is, and the auditor's CLI passes.
 * Replay a run with RELIABILITY_SEED=<the printed seed>; RELIABILITY_KILLS sets the number of kills (10).
 */
import { expect } from "chai";
import fc from "fast-check";
import { join } from "node:path";
import { NodeClient, freePort, isoNow, removeDataDir, testNodeEnvironment } from "../support/nodeHarness";
import type { TestNodeEnvironment } from "../support/nodeHarness";
import { runNode, stopNode } from "../support/nodeProcess";
import type { NodeProcess } from "../support/nodeProcess";
import { RequestTally, planCarrierTraffic, runRetryingClient, sleep } from "../support/retryingClients";
import { auditEverything, outboxDrained, tallyChain } from "../support/chainTally";

const KILLS = Number(process.env.RELIABILITY_KILLS ?? 10);
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31);

describe("crash: SIGKILL under load, restarted each time", function () {
  this.timeout(600_000);
  let environment: TestNodeEnvironment;
  let node: NodeProcess | undefined;

  before(async function () {
    environment = await testNodeEnvironment({
      PORT: String(await freePort()),
      EMBEDDED_BLOCK_TIME: "1",
      LOG_LEVEL: "warn",
      BATCH_WAIT_MS: "200",
    });
  });

  after(async function () {
    if (node) await stopNode(node);
    removeDataDir(environment);
  });

  it(`loses and duplicates nothing across ${KILLS} kills (seed printed)`, async function () {
    console.log(`      seed ${SEED} (replay with RELIABILITY_SEED=${SEED})`);
    // When each kill comes, after the node last said it was listening.
    const killDelays = fc.sample(fc.integer({ min: 300, max: 3_000 }), { seed: SEED, numRuns: KILLS });
    const pauses = fc.sample(fc.integer({ min: 0, max: 30 }), { seed: SEED + 1, numRuns: 1_000 });
    let pauseIndex = 0;

    node = await runNode(environment.env);
    const url = node.url;
    const api = new NodeClient(url);
    const admin = node.bootstrapToken!;
    const carriers = [];
    for (const name of ["Northern Corridor Haulage", "Lake Victoria Shipping", "Rift Cold Chain", "Busia Express"]) {
      const member = await api.member(admin, "Carrier", "KE", name);
      carriers.push({ organizationId: member.id, token: member.token });
    }
    const occurredAt = isoNow(-600);
    const clients = carriers.map((carrier, i) =>
      planCarrierTraffic(carrier, { prefix: `crash${i}`, consignments: 3, requests: 1_000, occurredAt }),
    );

    const tally = new RequestTally();
    const deadline = Date.now() + 420_000;
    // The clients send until the last kill is done (their plans are longer than that), so every kill hits load.
    let killsDone = false;
    const load = Promise.all(
      clients.map((client) =>
        runRetryingClient(() => url, client, tally, {
          deadline,
          pauseMs: () => pauses[pauseIndex++ % pauses.length],
          stopWhen: () => killsDone,
        }),
      ),
    );
    let loadDone = false;
    void load.then(
      () => (loadDone = true),
      () => (loadDone = true),
    );

    const restarts: number[] = [];
    let killsUnderLoad = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(killDelays[kill]);
      if (!loadDone) killsUnderLoad++;
      node!.child.removeAllListeners("exit");
      const exited = new Promise((resolve) => node!.child.once("exit", resolve));
      node!.child.kill("SIGKILL");
      await exited;
      const started = Date.now();
      node = await runNode(environment.env);
      restarts.push(Date.now() - started);
      expect(node.url).to.equal(url);
    }
    killsDone = true;
    await load;
    expect(loadDone).to.equal(true);
    await outboxDrained(url, 180_000);

    const rpcUrl = `http://127.0.0.1:${environment.env.EMBEDDED_CHAIN_PORT}`;
    const deploymentFile = join(environment.dataDir, "deployment.json");
    const onChain = await tallyChain(rpcUrl, deploymentFile, tally);
    const audit = await auditEverything(rpcUrl, deploymentFile);
    console.log(
      `      kills ${KILLS} (${killsUnderLoad} under load); acknowledged ${onChain.acknowledged}, recorded ${onChain.recorded}, ` +
        `duplicates ${onChain.duplicates}, lost ${onChain.lost}; refused ${tally.refused.size} ` +
        `(recorded: ${onChain.refusedButRecorded}); retries ${tally.retries}; ` +
        `restart median ${restarts.sort((a, b) => a - b)[Math.floor(restarts.length / 2)]} ms`,
    );
    console.log(`      answers: ${JSON.stringify(tally.statusCounts())}`);
    console.log(`      audit: ${audit.output.trim().split("\n").at(-1)}`);

    expect(tally.surprises.length, tally.surprises.slice(0, 5).join("\n")).to.equal(0);
    expect(killsUnderLoad, "kills while the clients were still sending").to.equal(KILLS);
    expect(onChain.acknowledged).to.be.greaterThan(400);
    expect(onChain.duplicates, "payloads recorded twice").to.equal(0);
    expect(onChain.lost, "acknowledged but not recorded").to.equal(0);
    expect(onChain.recorded).to.equal(onChain.acknowledged);
    expect(onChain.refusedButRecorded, "refused but recorded").to.equal(0);
    expect(tally.refused.size).to.be.greaterThan(10);
    expect(audit.code, audit.output).to.equal(0);
    expect([...tally.statuses.keys()].filter((s) => /^5\d\d/.test(s) && !s.startsWith("503"))).to.deep.equal([]);
  });
});
