/**
 * Store faults, on a real ext4 filesystem (a loop device) holding the node's data directory:
 *   - the disk fills up, or turns read-only (the kernel's errors=remount-ro), while clients are sending: ingest
 *     answers 503 with a code, the node stops with one line, and once the disk is fixed and the node restarted,
 *     everything it acknowledged is recorded exactly once;
 *   - the node will not start on a corrupt, locked or read-only store, and says so in one line.
 */
import { expect } from "chai";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodeClient, freePort, isoNow, startTestNode } from "../support/nodeHarness";
import { nodeExited, runNode, runNodeUntilExit, stopNode } from "../support/nodeProcess";
import type { NodeProcess } from "../support/nodeProcess";
import { RequestTally, planCarrierTraffic, runRetryingClient, sleep } from "../support/retryingClients";
import { outboxDrained, tallyChain } from "../support/chainTally";
import { launchStandInChain } from "../support/standInChain";
import type { StandInChain } from "../support/standInChain";
import { LoopDisk } from "../support/loopDisk";

describe("store faults (a real filesystem that fills up, turns read-only, or holds a broken store)", function () {
  this.timeout(600_000);
  let standIn: StandInChain;
  const disks: LoopDisk[] = [];
  const nodes: NodeProcess[] = [];

  before(async function () {
    standIn = await launchStandInChain({ blockTime: 1 });
  });

  after(async function () {
    for (const node of nodes) await stopNode(node);
    for (const disk of disks) disk.remove();
    await standIn?.remove();
  });

  async function nodeOn(disk: LoopDisk, port: number): Promise<NodeProcess> {
    const node = await runNode({
      ...standIn.nodeEnv(disk.mountPoint),
      PORT: String(port),
      LOG_LEVEL: "warn",
      BATCH_WAIT_MS: "100",
    });
    nodes.push(node);
    return node;
  }

  const faults = [
    {
      name: "fills up",
      inject: (disk: LoopDisk) => disk.fill(),
      fix: (disk: LoopDisk) => disk.free(),
      cause: /ENOSPC|No space left/i,
    },
    {
      name: "turns read-only",
      inject: (disk: LoopDisk) => disk.failReadOnly(),
      fix: (disk: LoopDisk) => disk.repair(),
      // The write in flight when the kernel turns the filesystem read-only may get EIO instead.
      cause: /EROFS|Read-only file system|Input\/output error/i,
    },
  ];
  for (const fault of faults) {
    it(`the data directory ${fault.name} under load: 503 with a code, one line, nothing acknowledged lost`, async function () {
      const disk = LoopDisk.create(64);
      disks.push(disk);
      const port = await freePort();
      let node = await nodeOn(disk, port);
      const api = new NodeClient(node.url);
      const carrier = await api.member(node.bootstrapToken!, "Carrier", "KE", `Carrier ${fault.name}`);
      const tally = new RequestTally();
      const url = node.url;
      // Three systems of the same carrier sending at once, so that requests are in flight when the disk fails.
      const load = Promise.all(
        [0, 1, 2].map((i) =>
          runRetryingClient(
            () => url,
            planCarrierTraffic(
              { organizationId: carrier.id, token: carrier.token },
              {
                prefix: `disk-${fault.name.replace(/\W/g, "")}-${i}`,
                consignments: 2,
                requests: 60,
                occurredAt: isoNow(-600),
              },
            ),
            tally,
            { deadline: Date.now() + 300_000, pauseMs: () => 10 },
          ),
        ),
      );
      await sleep(2_000);
      const acknowledgedBefore = tally.acknowledged.size;

      fault.inject(disk);
      const code = await nodeExited(node, 60_000);
      const lines = node
        .output()
        .split("\n")
        .filter((line) => line.startsWith("consignment-ledger:"));
      const answersBeforeFix = tally.statusCounts();
      fault.fix(disk);
      node = await nodeOn(disk, port);
      await load;
      await outboxDrained(url, 180_000);
      const onChain = await tallyChain(standIn.chain.rpcUrl, standIn.deploymentFile, tally);

      console.log(`      node stopped with ${code}: ${lines.join(" | ")}`);
      console.log(`      answers until the disk was fixed: ${JSON.stringify(answersBeforeFix)}`);
      console.log(
        `      acknowledged ${onChain.acknowledged} (${acknowledgedBefore} before the fault), recorded ${onChain.recorded}, ` +
          `duplicates ${onChain.duplicates}, lost ${onChain.lost}`,
      );
      expect(code).to.equal(1);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^consignment-ledger: stopping: the store in \S+ failed to /);
      expect(lines[0]).to.match(fault.cause);
      for (const status of Object.keys(answersBeforeFix)) {
        expect(status).to.match(
          /^(202|409 IDEMPOTENCY_CONFLICT|422 KIND_NOT_ALLOWED|503 STORE_UNAVAILABLE|503 SHUTTING_DOWN|connection error)$/,
        );
      }
      expect(acknowledgedBefore).to.be.greaterThan(0);
      expect(tally.surprises.length, tally.surprises.slice(0, 5).join("\n")).to.equal(0);
      expect(onChain.lost).to.equal(0);
      expect(onChain.duplicates).to.equal(0);
      expect(onChain.refusedButRecorded).to.equal(0);
      expect(onChain.recorded).to.equal(onChain.acknowledged);
      await stopNode(node);
    });
  }

  it("answers the request that meets a full disk with 503 STORE_UNAVAILABLE, and never acknowledges it", async function () {
    const disk = LoopDisk.create(32);
    disks.push(disk);
    const node = await startTestNode({
      dataDir: disk.mountPoint,
      env: { ...standIn.nodeEnv(disk.mountPoint), LOG_LEVEL: "silent" },
    });
    let carrierId: number;
    let acknowledgedAfterFill: string[] = [];
    let refusedEventId = "";
    try {
      const api = new NodeClient(node.url);
      const carrier = await api.member(node.bootstrapToken!, "Carrier", "KE", "Carrier on a full disk");
      carrierId = carrier.id;
      const registration = {
        eventId: "full-disk-registration",
        reference: "FULL-DISK-UCR-1",
        originCountry: "KE",
        destinationCountry: "UG",
        location: "KEMBA",
        occurredAt: isoNow(-60),
      };
      expect((await api.post("/v1/consignments", carrier.token, registration)).status).to.equal(202);
      await api.settled(carrier.token, registration.eventId);
      await node.indexer.syncOnce();

      // A write may still fit in a block the log already holds; sooner or later one meets the full disk.
      disk.fill();
      const acknowledged: string[] = [];
      let refused: Awaited<ReturnType<typeof api.post>> | undefined;
      for (let i = 2; i < 200 && !refused; i++) {
        const answer = await api.post("/v1/consignments", carrier.token, {
          ...registration,
          eventId: `full-disk-registration-${i}`,
          reference: `FULL-DISK-UCR-${i}`,
        });
        if (answer.status === 202) acknowledged.push(`full-disk-registration-${i}`);
        else refused = answer;
      }
      refusedEventId = `full-disk-registration-${acknowledged.length + 2}`;
      const failure = await Promise.race([node.failed, sleep(5_000).then(() => undefined)]);
      const ready = await api.get("/readyz");
      const later = await api.get("/v1/milestones/full-disk-registration", carrier.token);
      console.log(
        `      ${acknowledged.length} acknowledged after the disk filled, then ${refused?.status} ${refused?.body.error?.code}; ` +
          `the node: ${failure?.message}`,
      );
      expect(refused?.status, refused?.text).to.equal(503);
      expect(refused?.body.error?.code).to.equal("STORE_UNAVAILABLE");
      expect(failure?.message).to.match(/No space left on device/);
      expect(ready.status).to.equal(503);
      expect((ready.body.checks as { store: { ok: boolean; error: string } }).store.error).to.match(/No space left/);
      expect(later.status).to.equal(503);
      expect(later.body.error?.code).to.equal("STORE_UNAVAILABLE");
      acknowledgedAfterFill = acknowledged;
    } finally {
      await node.stop();
    }
    disk.free();
    const restarted = await startTestNode({
      dataDir: disk.mountPoint,
      env: { ...standIn.nodeEnv(disk.mountPoint), LOG_LEVEL: "silent" },
    });
    try {
      // What was acknowledged is there; what met the full disk is not.
      for (const eventId of ["full-disk-registration", ...acknowledgedAfterFill]) {
        expect(await restarted.store.event(`${carrierId}/${eventId}`), eventId).to.not.equal(undefined);
      }
      expect(await restarted.store.event(`${carrierId}/${refusedEventId}`)).to.equal(undefined);
    } finally {
      await restarted.stop();
    }
  });

  describe("starting on a broken store", function () {
    let disk: LoopDisk;
    let port: number;

    before(async function () {
      disk = LoopDisk.create(32);
      disks.push(disk);
      port = await freePort();
      const node = await nodeOn(disk, port);
      await stopNode(node);
    });

    function oneLine(result: { code: number | null; stderr: string }): string {
      const lines = result.stderr.trim().split("\n");
      expect(result.code).to.equal(1);
      expect(lines, result.stderr).to.have.length(1);
      return lines[0];
    }

    it("refuses a store another process holds, naming the lock", async function () {
      const running = await nodeOn(disk, port);
      const second = await runNodeUntilExit({ ...standIn.nodeEnv(disk.mountPoint), PORT: String(await freePort()) });
      const line = oneLine(second);
      console.log(`      ${line}`);
      expect(line).to.match(
        /^consignment-ledger: cannot start: cannot open the store in \S+: it is locked by another process/,
      );
      expect((await fetch(`${running.url}/healthz`)).status).to.equal(200);
      await stopNode(running);
    });

    it("refuses a corrupt store, saying it is corrupt", async function () {
      const store = join(disk.mountPoint, "store");
      const manifest = readdirSync(store).find((f) => f.startsWith("MANIFEST-"))!;
      copyFileSync(join(store, manifest), join(disk.mountPoint, "manifest.backup"));
      writeFileSync(join(store, manifest), Buffer.alloc(4096, 0x5a));
      const result = await runNodeUntilExit({ ...standIn.nodeEnv(disk.mountPoint), PORT: String(port) });
      const line = oneLine(result);
      console.log(`      ${line}`);
      expect(line).to.match(/^consignment-ledger: cannot start: cannot open the store in \S+: it is corrupt/);
      copyFileSync(join(disk.mountPoint, "manifest.backup"), join(store, manifest));
    });

    it("refuses a read-only data directory", async function () {
      disk.unmount();
      disk.mount(true);
      const result = await runNodeUntilExit({ ...standIn.nodeEnv(disk.mountPoint), PORT: String(port) });
      const line = oneLine(result);
      console.log(`      ${line}`);
      expect(line).to.match(/^consignment-ledger: cannot start: /);
      expect(line).to.match(/Read-only file system|EROFS/i);
      disk.unmount();
      disk.mount();
    });
  });
});
