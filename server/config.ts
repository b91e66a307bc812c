/**
 * Every setting comes from the environment and is validated here, once, at start. A wrong setting stops the node
 * with one line that names it. `.env.example` lists them all.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_RISK_THRESHOLDS } from "./domain/riskAssessment";
import type { RiskThresholds } from "./domain/riskAssessment";

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
/** Hours may be fractions: a drill runs a day's targets in minutes. */
const positiveHours = z.coerce.number().positive();
const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key");

const environmentSchema = z
  .object({
    PORT: port.default(8787),
    HOST: z.string().min(1).default("127.0.0.1"),
    DATA_DIR: z.string().min(1).default(".data"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

    CHAIN_RPC_URL: z.url().optional(),
    CHAIN_ID: positiveInt.optional(),
    DEPLOYMENT_FILE: z.string().min(1).optional(),
    RELAYER_KEY: hexKey.optional(),
    GOVERNOR_KEY: hexKey.optional(),

    EMBEDDED_CHAIN_PORT: port.default(8545),
    EMBEDDED_BLOCK_TIME: z.coerce.number().int().min(0).default(1), // 0: a block per transaction (tests)
    EMBEDDED_STATE_INTERVAL: positiveInt.default(1),

    KEYSTORE_PASSPHRASE: z.string().min(12, "must be at least 12 characters").optional(),
    KEYSTORE_PASSPHRASE_FILE: z.string().min(1).optional(),
    KEYSTORE_SCRYPT_N: z.coerce
      .number()
      .int()
      .min(1024)
      .refine((n) => (n & (n - 1)) === 0, "must be a power of two")
      .default(131_072),

    BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(200),
    BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(200),
    SUBMIT_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(3),
    RECEIPT_TIMEOUT_MS: positiveInt.default(60_000),
    MAX_BODY_BYTES: positiveInt.default(2 * 1024 * 1024),
    MAX_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).default(300),
    MAX_EVENT_AGE_DAYS: positiveInt.default(365),
    READY_MAX_LAG_SECONDS: positiveInt.default(60),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
    PUBLIC_BASE_URL: z.url().optional(),
    PUBLIC_REQUESTS_PER_MINUTE: positiveInt.default(300),

    INDEX_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).default(0),
    INDEX_POLL_MS: positiveInt.default(500),
    PEER_URL: z.url().optional(),
    PEER_RETRY_MAX_MS: positiveInt.default(60_000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
    WEBHOOK_RETRY_BASE_MS: positiveInt.default(1_000),
    WEBHOOK_RETRY_MAX_MS: positiveInt.default(600_000),
    WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),

    RISK_INTERVAL_MS: positiveInt.default(60_000),
    RISK_RELIEF_RELEASE_HOURS: positiveHours.default(DEFAULT_RISK_THRESHOLDS.reliefReleaseHours),
    RISK_EMERGENCY_RELEASE_HOURS: positiveHours.default(DEFAULT_RISK_THRESHOLDS.emergencyReleaseHours),
    RISK_STANDARD_RELEASE_HOURS: positiveHours.default(DEFAULT_RISK_THRESHOLDS.standardReleaseHours),
    RISK_STALLED_HOURS: positiveHours.default(DEFAULT_RISK_THRESHOLDS.stalledHours),
    RISK_ANOMALY_Z: z.coerce.number().positive().default(DEFAULT_RISK_THRESHOLDS.anomalyZScore),
    RISK_MIN_SAMPLES: positiveInt.default(DEFAULT_RISK_THRESHOLDS.minSamples),
  })
  .superRefine((env, ctx) => {
    if (!env.CHAIN_RPC_URL) return;
    for (const name of ["CHAIN_ID", "DEPLOYMENT_FILE", "RELAYER_KEY"] as const) {
      if (env[name] === undefined) {
        ctx.addIssue({ code: "custom", path: [name], message: "is required when CHAIN_RPC_URL is set" });
      }
    }
  });

export type Environment = z.infer<typeof environmentSchema>;

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: Environment["LOG_LEVEL"];
  chain:
    | { mode: "embedded"; port: number; blockTime: number; stateIntervalSeconds: number; deploymentFile: string }
    | {
        mode: "external";
        rpcUrl: string;
        chainId: number;
        deploymentFile: string;
        relayerKey: string;
        governorKey?: string;
      };
  keystorePassphrase?: string;
  keystorePassphraseFile?: string;
  keystoreScryptN: number;
  batchSize: number;
  batchWaitMs: number;
  maxInFlight: number;
  receiptTimeoutMs: number;
  maxBodyBytes: number;
  maxClockSkewSeconds: number;
  maxEventAgeSeconds: number;
  readyMaxLagSeconds: number;
  shutdownTimeoutMs: number;
  /** The URL in QR codes; by default the one the request came in on. */
  publicBaseUrl?: string;
  publicRequestsPerMinute: number;
  index: { confirmations: number; pollMs: number };
  /** The URL peers reach this node at, published on chain for every hosted organization; none: not published. */
  peerUrl?: string;
  peerRetryMaxMs: number;
  webhooks: { maxAttempts: number; baseMs: number; maxMs: number; timeoutMs: number };
  risk: { intervalMs: number; thresholds: RiskThresholds };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NodeConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue.path.join(".") || "environment";
    throw new ConfigError(`invalid setting ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(cwd, e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    chain: e.CHAIN_RPC_URL
      ? {
          mode: "external",
          rpcUrl: e.CHAIN_RPC_URL,
          chainId: e.CHAIN_ID!,
          deploymentFile: resolve(cwd, e.DEPLOYMENT_FILE!),
          relayerKey: e.RELAYER_KEY!,
          governorKey: e.GOVERNOR_KEY,
        }
      : {
          mode: "embedded",
          port: e.EMBEDDED_CHAIN_PORT,
          blockTime: e.EMBEDDED_BLOCK_TIME,
          stateIntervalSeconds: e.EMBEDDED_STATE_INTERVAL,
          deploymentFile: resolve(cwd, e.DEPLOYMENT_FILE ?? "deployments/local.json"),
        },
    keystorePassphrase: e.KEYSTORE_PASSPHRASE,
    keystorePassphraseFile: e.KEYSTORE_PASSPHRASE_FILE ? resolve(cwd, e.KEYSTORE_PASSPHRASE_FILE) : undefined,
    keystoreScryptN: e.KEYSTORE_SCRYPT_N,
    batchSize: e.BATCH_SIZE,
    batchWaitMs: e.BATCH_WAIT_MS,
    maxInFlight: e.SUBMIT_MAX_IN_FLIGHT,
    receiptTimeoutMs: e.RECEIPT_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxClockSkewSeconds: e.MAX_CLOCK_SKEW_SECONDS,
    maxEventAgeSeconds: e.MAX_EVENT_AGE_DAYS * 86_400,
    readyMaxLagSeconds: e.READY_MAX_LAG_SECONDS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/$/, ""),
    publicRequestsPerMinute: e.PUBLIC_REQUESTS_PER_MINUTE,
    index: { confirmations: e.INDEX_CONFIRMATIONS, pollMs: e.INDEX_POLL_MS },
    peerUrl: (e.PEER_URL ?? e.PUBLIC_BASE_URL)?.replace(/\/$/, ""),
    peerRetryMaxMs: e.PEER_RETRY_MAX_MS,
    webhooks: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      baseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxMs: e.WEBHOOK_RETRY_MAX_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    },
    risk: {
      intervalMs: e.RISK_INTERVAL_MS,
      thresholds: {
        ...DEFAULT_RISK_THRESHOLDS,
        reliefReleaseHours: e.RISK_RELIEF_RELEASE_HOURS,
        emergencyReleaseHours: e.RISK_EMERGENCY_RELEASE_HOURS,
        standardReleaseHours: e.RISK_STANDARD_RELEASE_HOURS,
        stalledHours: e.RISK_STALLED_HOURS,
        anomalyZScore: e.RISK_ANOMALY_Z,
        minSamples: e.RISK_MIN_SAMPLES,
      },
    },
  };
}
