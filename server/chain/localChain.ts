/**
 * The embedded chain: anvil from the npm package @foundry-rs/anvil, with its state persisted under the data
 * directory and interval mining. `npm start` launches it; a node restarted after a crash adopts the anvil its
 * predecessor left running (recorded in a pid file) instead of starting a second one.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { JsonRpcProvider } from "ethers";
import type { Logger } from "pino";

/** anvil's well-known development accounts (mnemonic "test test ... junk"): fine for a local chain only. */
export const ANVIL_DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const ANVIL_RELAYER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
/** Account 2: the relayer of a second node on the same local chain (two nodes must not share a nonce). */
export const ANVIL_SECOND_RELAYER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
export const ANVIL_CHAIN_ID = 31337;

export interface LocalChainOptions {
  dataDir: string;
  port: number;
  blockTime?: number; // omitted: mine on every transaction (tests)
  stateIntervalSeconds?: number;
  logger?: Logger;
}

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  pid: number;
  stateFile: string;
  /** Stops anvil gracefully, so it writes its state. */
  stop(): Promise<void>;
  /** Kills anvil at once, as a crash would: it loses what it had not yet written. */
  kill(): Promise<void>;
}

export function anvilBinary(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  if (!arch) throw new Error(`anvil has no build for ${process.platform}/${process.arch}`);
  const packageJson = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(dirname(packageJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

async function answersChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function launchLocalChain(options: LocalChainOptions): Promise<LocalChain> {
  const dir = join(options.dataDir, "chain");
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, "anvil.pid");
  const stateFile = join(dir, "state.json");
  const rpcUrl = `http://127.0.0.1:${options.port}`;

  const previous = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined;
  if (previous && isAlive(previous) && (await answersChainId(rpcUrl)) === ANVIL_CHAIN_ID) {
    options.logger?.info({ pid: previous, rpcUrl }, "adopting the local chain left running by the previous node");
    return handle(previous, undefined);
  }
  if ((await answersChainId(rpcUrl)) !== undefined) {
    throw new Error(`port ${options.port} already has a chain that this node did not start; set EMBEDDED_CHAIN_PORT`);
  }

  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--chain-id",
    String(ANVIL_CHAIN_ID),
    "--state",
    stateFile,
    "--state-interval",
    String(options.stateIntervalSeconds ?? 1),
    "--silent",
  ];
  if (options.blockTime) args.push("--block-time", String(options.blockTime));
  // Detached into its own process group, so a Ctrl-C meant for the node does not kill the chain before the node
  // has drained; the node stops it itself.
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.unref();
  try {
    await waitFor(
      async () => (await answersChainId(rpcUrl)) === ANVIL_CHAIN_ID || child.exitCode !== null,
      20_000,
      "anvil",
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr.trim()}`);
  writeFileSync(pidFile, String(child.pid));
  options.logger?.info({ pid: child.pid, rpcUrl, stateFile }, "launched the local chain");
  return handle(child.pid!, child, exited);

  function handle(pid: number, child: ChildProcess | undefined, exited?: Promise<number | null>): LocalChain {
    const gone = async (timeoutMs: number) => {
      if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
      else await waitFor(() => !isAlive(pid), timeoutMs, "anvil to exit").catch(() => undefined);
    };
    return {
      rpcUrl,
      chainId: ANVIL_CHAIN_ID,
      pid,
      stateFile,
      async stop() {
        if (!isAlive(pid)) return;
        process.kill(pid, "SIGTERM");
        await gone(10_000);
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
        rmSync(pidFile, { force: true });
      },
      async kill() {
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
        await gone(5_000);
        void child;
      },
    };
  }
}

/** A provider that polls quickly: local blocks come every second. */
export function localProvider(rpcUrl: string, chainId: number): JsonRpcProvider {
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 200;
  return provider;
}
