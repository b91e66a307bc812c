/**
 * Holds the chain against what clients were told: every acknowledged event recorded exactly once, nothing refused
 * recorded, no payload twice. Reads the chain's logs directly (not the node), and runs the auditor's CLI.
 */
import { spawn } from "node:child_process";
import { JsonRpcProvider } from "ethers";
import { ChainHistory } from "../../server/chain/chainHistory";
import { readDeploymentRecord } from "../../server/chain/ledgerDeployment";
import { ROOT } from "./nodeProcess";
import type { RequestTally } from "./retryingClients";

export interface ChainTally {
  acknowledged: number;
  recorded: number;
  duplicates: number;
  lost: number;
  refusedButRecorded: number;
  onChain: number;
}

export async function tallyChain(rpcUrl: string, deploymentFile: string, tally: RequestTally): Promise<ChainTally> {
  const deployment = readDeploymentRecord(deploymentFile);
  const provider = new JsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const histories = await new ChainHistory(provider, deployment).histories();
    const copies = new Map<string, number>();
    for (const history of histories.values()) {
      for (const m of history)
        copies.set(m.payloadHash.toLowerCase(), (copies.get(m.payloadHash.toLowerCase()) ?? 0) + 1);
    }
    const acknowledged = [...tally.acknowledged.keys()];
    return {
      acknowledged: acknowledged.length,
      recorded: acknowledged.filter((h) => copies.get(h) === 1).length,
      duplicates: [...copies.values()].filter((n) => n > 1).length,
      lost: acknowledged.filter((h) => !copies.has(h)).length,
      refusedButRecorded: [...tally.refused.keys()].filter((h) => copies.has(h)).length,
      onChain: [...copies.values()].reduce((a, b) => a + b, 0),
    };
  } finally {
    provider.destroy();
  }
}

/** `npm run audit -- --all` against the chain, trusting nothing but the chain: its exit code and what it printed. */
export function auditEverything(
  rpcUrl: string,
  deploymentFile: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "scripts/audit.ts",
        "--rpc",
        rpcUrl,
        "--deployment",
        deploymentFile,
        "--all",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/** Waits until the node's outbox is empty (every acknowledged event recorded or rejected), as /readyz reports it. */
export async function outboxDrained(baseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
      last = await response.text();
      const pending = (JSON.parse(last) as { checks: { store?: { pending?: number } } }).checks.store?.pending;
      if (pending === 0) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the outbox did not drain in ${timeoutMs} ms; /readyz said ${last}`);
}
