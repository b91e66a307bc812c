/**
 * Runs autocannon in a child process, so the load generator does not share the node's event loop (on a 2-core
 * machine it then takes the other core). Requests are GETs of paths picked at random from `paths`. (A worker
 * thread will not do: inside one, autocannon reports raw histograms for its own aggregation.)
 */
import { spawn } from "node:child_process";

export interface LoadOptions {
  url: string;
  paths: string[];
  connections: number;
  seconds: number;
  /** Requests per second across all connections; omitted, as fast as the server answers. */
  rate?: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

const CHILD_SOURCE = `
const autocannon = require("autocannon");
const { url, paths, connections, seconds, rate, headers } = JSON.parse(process.env.LOAD_OPTIONS);
autocannon({
  url,
  connections,
  duration: seconds,
  ...(rate ? { overallRate: rate } : {}),
  requests: [{ method: "GET", headers: headers || {}, setupRequest: (r) => ({ ...r, path: paths[Math.floor(Math.random() * paths.length)] }) }],
}).then((result) => process.send({
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx + result.errors,
}, () => process.exit(0)), (error) => process.send({ error: String(error) }, () => process.exit(1)));
`;

export function loadInChild(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", CHILD_SOURCE], {
      env: { ...process.env, LOAD_OPTIONS: JSON.stringify(options) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let answered = false;
    child.once("message", (message: LoadResult & { error?: string }) => {
      answered = true;
      if (message.error) reject(new Error(message.error));
      else resolve(message);
    });
    child.once("exit", (code) => {
      if (!answered) reject(new Error(`the load generator exited with ${code}`));
    });
  });
}
