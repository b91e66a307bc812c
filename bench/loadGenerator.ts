/**
 * Runs autocannon in a child process, so the load generator does not share the node's event loop (on a 2-core
 * machine it then takes the other core). (A worker thread will not do: inside one, autocannon reports raw
 * histograms for its own aggregation.)
 */
import { spawn } from "node:child_process";

export interface LoadOptions {
  url: string;
  /** GETs of these paths, picked at random; or `post`: milestones posted under fresh event ids. */
  paths?: string[];
  post?: {
    token: string;
    consignments: string[];
    /** Event ids are `${prefix}-0`, `${prefix}-1`, ... in the order they are made. */
    prefix: string;
    /** Milestones per request through POST /v1/milestones:batch; omitted, one per request through the single route. */
    batchItems?: number;
  };
  connections: number;
  /** Run for this long, or until `amount` requests were sent. */
  seconds?: number;
  amount?: number;
  /** Requests per second across all connections; omitted, as fast as the server answers. */
  rate?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  ok: number;
  /** Seconds the run took. */
  duration: number;
  /** How many event ids were made (post only). */
  eventsMade: number;
}

const CHILD_SOURCE = `
const autocannon = require("autocannon");
const { url, paths, post, connections, seconds, amount, rate } = JSON.parse(process.env.LOAD_OPTIONS);
let made = 0;
const milestone = (consignmentId) => {
  const eventId = post.prefix + "-" + made++;
  return { eventId, consignmentId, kind: "Incident", location: "KEMBA",
    occurredAt: new Date(Date.now() - 1000).toISOString(), payload: { temperatureC: 4.5, sensor: "TL-1", eventId } };
};
const consignment = () => post.consignments[made % post.consignments.length];
const request = paths
  ? { method: "GET", setupRequest: (r) => ({ ...r, path: paths[Math.floor(Math.random() * paths.length)] }) }
  : {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + post.token },
      setupRequest: (r) => {
        if (post.batchItems) {
          const milestones = [];
          for (let i = 0; i < post.batchItems; i++) milestones.push(milestone(consignment()));
          return { ...r, path: "/v1/milestones:batch", body: JSON.stringify({ milestones }) };
        }
        const { consignmentId, ...body } = milestone(consignment());
        return { ...r, path: "/v1/consignments/" + consignmentId + "/milestones", body: JSON.stringify(body) };
      },
    };
autocannon({
  url,
  connections,
  ...(amount ? { amount } : { duration: seconds }),
  ...(rate ? { overallRate: rate } : {}),
  requests: [request],
}).then((result) => process.send({
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx + result.errors,
  ok: result["2xx"],
  duration: result.duration,
  eventsMade: made,
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
