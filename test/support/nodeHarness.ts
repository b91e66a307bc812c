/**
 * Starts a real ledger node for tests: real LevelDB in a temporary directory, a real anvil on a free port, real HTTP
 * on an ephemeral port. Blocks are mined per transaction unless a block time is given.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/config";
import { startLedgerNode } from "../../server/ledgerNode";
import type { RunningNode } from "../../server/ledgerNode";
import { createLogger } from "../../server/telemetry/logger";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface TestNodeEnvironment {
  dataDir: string;
  env: Record<string, string>;
}

export async function testNodeEnvironment(overrides: Record<string, string> = {}): Promise<TestNodeEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), "ledger-node-"));
  return {
    dataDir,
    env: {
      DATA_DIR: dataDir,
      PORT: "0",
      EMBEDDED_CHAIN_PORT: String(await freePort()),
      EMBEDDED_BLOCK_TIME: "0",
      DEPLOYMENT_FILE: join(dataDir, "deployments", "local.json"),
      KEYSTORE_SCRYPT_N: "1024",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      BATCH_WAIT_MS: "20",
      ...overrides,
    },
  };
}

export async function startTestNode(
  environment: TestNodeEnvironment,
  logDestination?: { write(line: string): void },
): Promise<RunningNode> {
  const config = loadConfig(environment.env);
  return startLedgerNode(config, createLogger(config.logLevel, logDestination));
}

/** Collects a node's log lines, to check what it writes. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join("");
  }
}

export function removeDataDir(environment: TestNodeEnvironment): void {
  rmSync(environment.dataDir, { recursive: true, force: true });
}

/** A small HTTP client for the node's API. */
export class NodeClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      body: json as Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } },
      text,
    };
  }

  post(path: string, token: string | undefined, body: unknown) {
    return this.request("POST", path, token, body);
  }

  get(path: string, token?: string) {
    return this.request("GET", path, token);
  }

  /** Hosts an organization and returns its id and a submitter key. */
  async member(adminToken: string, kind: string, country: string, name: string, role = "submitter") {
    const org = await this.post("/v1/admin/organizations", adminToken, { kind, country, name });
    if (org.status !== 201) throw new Error(`hosting ${name} failed: ${org.text}`);
    const id = org.body.id as number;
    const key = await this.post("/v1/admin/api-keys", adminToken, {
      organizationId: id,
      role,
      label: `${name} ${role}`,
    });
    if (key.status !== 201) throw new Error(`issuing a key for ${name} failed: ${key.text}`);
    return { id, token: key.body.token as string, signer: (org.body.signers as Array<{ address: string }>)[0].address };
  }

  /** Polls an event until it reaches a final state. */
  async settled(token: string, eventId: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.get(`/v1/milestones/${eventId}`, token);
      const state = response.body?.state;
      if (state === "recorded" || state === "rejected") return response.body;
      if (Date.now() > deadline) throw new Error(`event ${eventId} still ${String(state)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export const isoNow = (offsetSeconds = 0): string => new Date(Date.now() + offsetSeconds * 1000).toISOString();
