/**
 * Wiring, in one place: store, chain (embedded anvil or an external network), keys, submitter, HTTP. Everything
 * below gets its dependencies passed in.
 */
import { existsSync, mkdirSync } from "node:fs";
import { writeFileDurably } from "./storage/durableFile";
import type { Server } from "node:http";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import type { NodeConfig } from "./config";
import { LedgerError } from "./errors";
import { createLogger } from "./telemetry/logger";
import { createMetrics } from "./telemetry/metrics";
import { LedgerStore } from "./storage/ledgerStore";
import type { HostedOrganization } from "./storage/ledgerStore";
import { launchLocalChain, localProvider, ANVIL_DEPLOYER_KEY, ANVIL_RELAYER_KEY } from "./chain/localChain";
import type { LocalChain } from "./chain/localChain";
import { deployConsignmentLedger, readDeploymentRecord, writeDeploymentRecord } from "./chain/ledgerDeployment";
import type { DeploymentRecord } from "./chain/ledgerDeployment";
import { LedgerClient } from "./chain/ledgerClient";
import { ChainStateReader } from "./chain/chainStateReader";
import { Governance } from "./chain/governance";
import { SignerVault, resolveKeystorePassphrase } from "./chain/signerVault";
import { Submitter } from "./chain/submitter";
import { ChainHistory } from "./chain/chainHistory";
import { ConsignmentVerifier } from "./chain/consignmentVerifier";
import { IndexedHistory } from "./chain/indexedHistory";
import { Administration } from "./domain/administration";
import { acceptEvents } from "./domain/ingest";
import type { IngestItem } from "./domain/ingest";
import { createHttpApp } from "./http/app";
import { answerClientError } from "./http/errorHandling";
import { LedgerIndex } from "./storage/ledgerIndex";
import { FederationStore } from "./storage/federationStore";
import { SubscriptionStore } from "./storage/subscriptionStore";
import { ChainIndexer } from "./chain/chainIndexer";
import { DocumentFetcher } from "./federation/documentFetcher";
import { WebhookDispatcher } from "./subscriptions/webhookDispatcher";
import type { Readiness } from "./http/app";
import { AlertStore } from "./storage/alertStore";
import { WarningStore } from "./storage/warningStore";
import { RiskMonitor } from "./risk/riskMonitor";

export const NODE_VERSION = "0.1.0";
/** How long a read waits for the index to hold what this node just recorded (then it answers as of the index). */
const INDEX_WAIT_MS = 5_000;

export interface RunningNode {
  url: string;
  port: number;
  deployment: DeploymentRecord;
  store: LedgerStore;
  client: LedgerClient;
  submitter: Submitter;
  index: LedgerIndex;
  indexer: ChainIndexer;
  fetcher: DocumentFetcher;
  webhooks: WebhookDispatcher;
  riskMonitor: RiskMonitor;
  alerts: AlertStore;
  chain?: LocalChain;
  /** Shown on the first start only. */
  bootstrapToken?: string;
  logger: Logger;
  /**
   * Settles when the node can no longer run safely (its store failed: disk full, read-only, I/O error); `npm start`
   * then stops with that one line. The node has already stopped taking requests.
   */
  failed: Promise<Error>;
  stop(options?: { keepChain?: boolean }): Promise<void>;
}

export async function startLedgerNode(
  config: NodeConfig,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningNode> {
  mkdirSync(config.dataDir, { recursive: true });
  const metrics = createMetrics();
  const storeDir = join(config.dataDir, "store");
  const store = new LedgerStore(storeDir);
  await store.open().catch((error: unknown) => {
    throw new Error(`cannot open the store in ${storeDir}: ${whyStoreWontOpen(error)}`);
  });

  let chain: LocalChain | undefined;
  let stopping = false;
  let signalFailed: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (signalFailed = resolve));
  let storeFailure: Error | undefined;
  store.onFailure((failure) => {
    if (storeFailure || stopping) return;
    storeFailure = new Error(`the store in ${storeDir} failed to ${failure.what}: ${failure.cause}`);
    // From here on every request is refused with 503: LevelDB refuses writes after a failed one.
    stopping = true;
    logger.fatal({ ...failure, storeDir }, "the store failed; stopping");
    signalFailed(storeFailure);
  });
  let server: Server | undefined;
  let submitter: Submitter | undefined;
  const index = new LedgerIndex(store);
  const documents = new FederationStore(store);
  const subscriptionStore = new SubscriptionStore(store);
  const alertStore = new AlertStore(store);
  const warningStore = new WarningStore(store);
  let indexer: ChainIndexer | undefined;
  let fetcher: DocumentFetcher | undefined;
  let webhooks: WebhookDispatcher | undefined;
  let riskMonitor: RiskMonitor | undefined;
  try {
    await index.load();
    await alertStore.load();
    await warningStore.load();
    const connected = await connectChain(config, logger);
    chain = connected.chain;
    const { provider, relayer, governor, deployment } = connected;

    const passphrase = resolveKeystorePassphrase({
      passphrase: config.keystorePassphrase,
      passphraseFile: config.keystorePassphraseFile,
      dataDir: config.dataDir,
      embedded: config.chain.mode === "embedded",
    });
    const vault = new SignerVault(join(config.dataDir, "keys"), passphrase, config.keystoreScryptN);
    const hosted = new Map<number, HostedOrganization>();
    const reloadHosted = async () => {
      const organizations = await store.listOrganizations();
      await vault.unlock(organizations);
      hosted.clear();
      for (const org of organizations) hosted.set(org.id, org);
    };
    await reloadHosted();

    const client = new LedgerClient(provider, deployment, relayer);
    const reader = new ChainStateReader(client, (id) => store.pendingFor(id), {
      organization: (id) => {
        const org = hosted.get(id);
        return org ? { kind: org.kind, country: org.country, active: true, admin: "" } : undefined;
      },
      signerKey: (address) => {
        for (const org of hosted.values()) {
          const signer = org.signers.find((s) => s.address.toLowerCase() === address.toLowerCase() && !s.revokedAt);
          if (signer) return { organizationId: org.id, addedAt: 0, revokedAt: 0, compromisedAt: 0 };
        }
        return undefined;
      },
    });
    const governance = new Governance(deployment, governor);
    const administration = new Administration({
      governance,
      readOrganization: (id) => client.readOrganization(id),
      createSignerKey: (id) => vault.create(id),
      store,
      changed: () => {
        reader.invalidate();
        governanceChanged = true;
        void reloadHosted()
          .then(() => publishEndpoints())
          .then(() => fetcher?.poke())
          .catch((error: unknown) => logger.error({ err: error }, "reloading hosted organizations failed"));
      },
    });
    // Every hosted organization's endpoint is published on chain, where peers look it up.
    const publishEndpoints = async () => {
      if (!config.peerUrl) return;
      for (const org of hosted.values()) {
        if (index.organization(org.id)?.endpoint === config.peerUrl) continue;
        if (!governance.configured) {
          logger.warn(
            { organizationId: org.id, endpoint: config.peerUrl },
            "no governance key: ask the consortium to publishOrganizationEndpoint for this organization",
          );
          continue;
        }
        await governance.publishEndpoint(org.id, config.peerUrl);
        logger.info({ organizationId: org.id, endpoint: config.peerUrl }, "published the organization's endpoint");
      }
    };
    const activeSigner = (organizationId: number) => vault.activeSigner(hosted.get(organizationId));
    /** Per consignment, the newest block this node recorded it in, until the index has passed it. */
    const recordedBlocks = new Map<string, number>();
    /** This node changed organizations or keys on chain since the index last caught up. */
    let governanceChanged = false;
    /** The newest block this node recorded anything in: queries wait for the index to reach it. */
    let newestRecordedBlock = -1;
    /** Waits (a bounded while) until the index holds block `block`; then reads answer as of the index. */
    const indexReaches = async (block: number): Promise<boolean> => {
      const deadline = Date.now() + INDEX_WAIT_MS;
      while ((index.cursor?.blockNumber ?? -1) < block && Date.now() < deadline) {
        await (indexer?.syncOnce() ?? Promise.reject(new Error("not started"))).catch(
          () => new Promise((r) => setTimeout(r, 100)),
        );
      }
      return (index.cursor?.blockNumber ?? -1) >= block;
    };

    submitter = new Submitter(store, client, {
      batchSize: config.batchSize,
      batchWaitMs: config.batchWaitMs,
      maxInFlight: config.maxInFlight,
      receiptTimeoutMs: config.receiptTimeoutMs,
      logger,
      metrics,
      signerOf: activeSigner,
      warnings: { pending: () => warningStore.pending(), update: (w) => warningStore.put(w) },
      onRecorded: (events) => {
        reader.noteRecorded(events);
        for (const e of events) {
          const id = e.consignmentId.toLowerCase();
          recordedBlocks.set(id, Math.max(recordedBlocks.get(id) ?? 0, e.blockNumber ?? 0));
          newestRecordedBlock = Math.max(newestRecordedBlock, e.blockNumber ?? 0);
        }
        indexer?.poke();
      },
    });
    const reconciled = await submitter.reconcile(deployment.deploymentBlock);
    logger.info({ ...reconciled, pending: store.pendingCount }, "reconciled the store with the chain");
    submitter.start();

    indexer = new ChainIndexer(new ChainHistory(provider, deployment), index, {
      confirmations: config.index.confirmations,
      pollMs: config.index.pollMs,
      logger,
      metrics,
    });
    fetcher = new DocumentFetcher({
      index,
      documents,
      deployment: { chainId: deployment.chainId, address: deployment.address },
      hostedOrganizations: () => [...hosted.values()].map((o) => ({ id: o.id, kind: o.kind, country: o.country })),
      signerOf: (id) => activeSigner(id),
      logger,
      metrics,
      retryMaxMs: config.peerRetryMaxMs,
    });
    webhooks = new WebhookDispatcher(index, subscriptionStore, { ...config.webhooks, logger, metrics });
    riskMonitor = new RiskMonitor({
      index,
      alerts: alertStore,
      documentOf: (payloadHash) => documents.documentOf(payloadHash),
      thresholds: config.risk.thresholds,
      intervalMs: config.risk.intervalMs,
      logger,
      metrics,
    });
    const liveRiskMonitor = riskMonitor;
    const liveIndexer = indexer;
    // The endpoint is published once the index knows what the chain already says, so a restart publishes nothing.
    void liveIndexer
      .syncOnce()
      .then(() => publishEndpoints())
      .catch((error: unknown) =>
        logger.warn({ err: error }, "publishing the endpoint failed; it is tried again on the next start"),
      )
      .finally(() => liveIndexer.start());
    fetcher.start();
    webhooks.start();
    liveRiskMonitor.start();

    const bootstrapToken = await bootstrapAdminKey(config, store, administration);

    const running = submitter;
    const { app, closeStreams } = createHttpApp({
      version: NODE_VERSION,
      logger,
      metrics,
      store,
      maxBodyBytes: config.maxBodyBytes,
      administration,
      unavailable: () =>
        storeFailure
          ? new LedgerError("STORE_UNAVAILABLE", "the node's store failed; it is stopping, retry later")
          : stopping
            ? new LedgerError("SHUTTING_DOWN", "the node is shutting down; retry against another node or later")
            : undefined,
      ingest: async (organizationId: number, items: IngestItem[]) => {
        const responses = await acceptEvents(
          {
            idempotencyRecord: (key) => store.idempotencyRecord(key),
            snapshot: (needs) => reader.snapshot(needs),
            activeSignerOf: (id) => activeSigner(id)?.address,
            nextSeq: () => store.nextSeq(),
            accept: async (events, idempotency) => {
              await store.accept(events, idempotency);
              for (const e of events) metrics.accepted.inc({ type: e.type });
            },
          },
          {
            organizationId,
            deployment: { chainId: deployment.chainId, address: deployment.address },
            nowSeconds: Math.floor(Date.now() / 1000),
            maxClockSkewSeconds: config.maxClockSkewSeconds,
            maxEventAgeSeconds: config.maxEventAgeSeconds,
          },
          items,
        );
        running.wake();
        return responses;
      },
      readiness: () => readiness(store, () => storeFailure, client, running, liveIndexer, config.readyMaxLagSeconds),
      federation: {
        index,
        documents,
        deployment: { chainId: deployment.chainId, address: deployment.address },
        caughtUpWithOwnWrites: async () => void (await indexReaches(newestRecordedBlock)),
      },
      risk: {
        index,
        alerts: alertStore,
        warnings: warningStore,
        monitor: liveRiskMonitor,
        governance,
        hostedKind: (id) => hosted.get(id)?.kind,
        wakeSubmitter: () => running.wake(),
      },
      subscriptions: {
        index,
        subscriptions: subscriptionStore,
        retry: {
          maxAttempts: config.webhooks.maxAttempts,
          baseMs: config.webhooks.baseMs,
          maxMs: config.webhooks.maxMs,
        },
        wake: () => webhooks?.poke(),
      },
      verification: {
        documents,
        index,
        caughtUpWith: async (consignmentId: string) => {
          const wasChanged = governanceChanged;
          governanceChanged = false;
          const block = wasChanged
            ? await client.blockNumber().catch(() => recordedBlocks.get(consignmentId))
            : recordedBlocks.get(consignmentId);
          if (block === undefined) return;
          if (await indexReaches(block)) recordedBlocks.delete(consignmentId);
        },
        verifier: new ConsignmentVerifier(
          new ChainHistory(provider, deployment),
          new IndexedHistory(index, provider, deployment),
        ),
        publicRequestsPerMinute: config.publicRequestsPerMinute,
        pageRisk: async (consignmentId) => {
          const assessment = await liveRiskMonitor.assess(consignmentId);
          if (!assessment) return undefined;
          const alerts = await alertStore.ofConsignment(consignmentId);
          return {
            ...assessment,
            emergencies: index.emergencyList.filter((e) => assessment.emergencies.includes(e.emergencyId)),
            alerts,
          };
        },
        publicBaseUrl: (req) =>
          config.publicBaseUrl ?? `${req.protocol}://${req.get("host") ?? `${config.host}:${config.port}`}`,
      },
    });

    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once("error", reject);
      s.on("clientError", answerClientError);
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    logger.info(
      { url, chain: config.chain.mode, contract: deployment.address, chainId: deployment.chainId },
      "ledger node listening",
    );

    const liveServer = server;
    let stopped = false;
    const liveFetcher = fetcher;
    const liveWebhooks = webhooks;
    return {
      url,
      port,
      deployment,
      store,
      client,
      submitter: running,
      index,
      indexer: liveIndexer,
      fetcher: liveFetcher,
      webhooks: liveWebhooks,
      riskMonitor: liveRiskMonitor,
      alerts: alertStore,
      chain,
      bootstrapToken,
      logger,
      failed,
      async stop(options = {}) {
        if (stopped) return;
        stopped = true;
        stopping = true;
        logger.info("shutting down: no new requests, draining the submitter");
        closeStreams();
        await closeServer(liveServer, config.shutdownTimeoutMs);
        await Promise.all([liveIndexer.stop(), liveFetcher.stop(), liveWebhooks.stop(), liveRiskMonitor.stop()]);
        await withTimeout(running.stop(), config.shutdownTimeoutMs).catch((error: unknown) =>
          logger.warn({ err: error }, "the submitter did not stop in time; what it sent is resolved on the next start"),
        );
        await store.close();
        if (chain && !options.keepChain) await chain.stop();
        provider.destroy();
        logger.info("stopped");
      },
    };
  } catch (error) {
    stopping = true;
    await submitter?.stop().catch(() => undefined);
    await Promise.all([indexer?.stop(), fetcher?.stop(), webhooks?.stop(), riskMonitor?.stop()]).catch(() => undefined);
    server?.close();
    await store.close().catch(() => undefined);
    await chain?.stop().catch(() => undefined);
    throw error;
  }
}

interface ConnectedChain {
  chain?: LocalChain;
  provider: JsonRpcProvider;
  relayer: Wallet;
  governor?: Wallet;
  deployment: DeploymentRecord;
}

async function connectChain(config: NodeConfig, logger: Logger): Promise<ConnectedChain> {
  if (config.chain.mode === "external") {
    const { rpcUrl, chainId, deploymentFile, relayerKey, governorKey } = config.chain;
    const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
    const actual = await provider.send("eth_chainId", []).catch((error: unknown) => {
      throw new Error(`the chain at CHAIN_RPC_URL ${rpcUrl} does not answer: ${causeOf(error)}`);
    });
    if (Number(BigInt(actual)) !== chainId)
      throw new Error(`invalid setting CHAIN_ID: the chain at CHAIN_RPC_URL says ${Number(BigInt(actual))}`);
    if (!existsSync(deploymentFile))
      throw new Error(`invalid setting DEPLOYMENT_FILE: ${deploymentFile} does not exist (run npm run deploy)`);
    const deployment = readDeploymentRecord(deploymentFile);
    if ((await provider.getCode(deployment.address)) === "0x") {
      throw new Error(`invalid setting DEPLOYMENT_FILE: no contract at ${deployment.address} on chain ${chainId}`);
    }
    return {
      provider,
      relayer: new Wallet(relayerKey, provider),
      governor: governorKey ? new Wallet(governorKey, provider) : undefined,
      deployment,
    };
  }

  const chain = await launchLocalChain({
    dataDir: config.dataDir,
    port: config.chain.port,
    blockTime: config.chain.blockTime,
    logger,
  });
  const provider = localProvider(chain.rpcUrl, chain.chainId);
  const deployer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
  const relayer = new Wallet(ANVIL_RELAYER_KEY, provider);
  const file = config.chain.deploymentFile;
  let deployment = existsSync(file) ? readDeploymentRecord(file) : undefined;
  if (!deployment || deployment.chainId !== chain.chainId || (await provider.getCode(deployment.address)) === "0x") {
    deployment = await deployConsignmentLedger(deployer, {
      network: "local",
      admin: deployer.address,
      adminTransferDelay: 0,
    });
    writeDeploymentRecord(file, deployment);
    logger.info({ address: deployment.address, file }, "deployed ConsignmentLedger to the local chain");
  }
  writeDeploymentRecord(join(config.dataDir, "deployment.json"), deployment);
  return { chain, provider, relayer, governor: deployer, deployment };
}

async function bootstrapAdminKey(
  config: NodeConfig,
  store: LedgerStore,
  administration: Administration,
): Promise<string | undefined> {
  if (await store.getMeta<boolean>("bootstrapped")) return undefined;
  const { token } = await administration.issueApiKey(0, "admin", "bootstrap admin key");
  // Kept beside the data, readable by its owner only, so the admin CLI can find it on a local node.
  writeFileDurably(join(config.dataDir, "bootstrap-admin-key"), token + "\n", 0o600);
  await store.putMeta("bootstrapped", true);
  return token;
}

async function readiness(
  store: LedgerStore,
  storeFailure: () => Error | undefined,
  client: LedgerClient,
  submitter: Submitter,
  indexer: ChainIndexer,
  maxLagSeconds: number,
): Promise<Readiness> {
  const checks: Readiness["checks"] = {};
  try {
    if (storeFailure()) throw storeFailure();
    await store.ping();
    checks.store = { ok: true, pending: store.pendingCount };
  } catch (error) {
    checks.store = { ok: false, error: causeOf(error) };
  }
  try {
    checks.chain = { ok: true, blockNumber: await withTimeout(client.blockNumber(), 2_000) };
  } catch (error) {
    checks.chain = { ok: false, error: causeOf(error) };
  }
  const status = submitter.status();
  const oldest = status.oldestPendingAcceptedAt ? Date.parse(status.oldestPendingAcceptedAt) : undefined;
  const lagSeconds = oldest ? Math.round((Date.now() - oldest) / 1000) : 0;
  checks.submitter = {
    ok: status.running && lagSeconds <= maxLagSeconds,
    lagSeconds,
    maxLagSeconds,
    pending: store.pendingCount,
    lastError: status.lastError,
    lastRecordedAt: status.lastRecordedAt,
  };
  const index = indexer.status();
  checks.index = {
    ok: index.lastError === undefined,
    blockNumber: index.cursor?.blockNumber ?? null,
    lagBlocks: index.lagBlocks ?? null,
    lastError: index.lastError,
    lastSyncedAt: index.lastSyncedAt,
  };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new LedgerError("CHAIN_UNAVAILABLE", `timed out after ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The one line an operator needs when the store will not open: locked and corrupt stores say what to do. */
function whyStoreWontOpen(error: unknown): string {
  const chain: Array<{ message?: string; code?: string }> = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    chain.push(e);
  }
  const text = chain.map((e) => e.message ?? String(e)).join(": ");
  const codes = chain.map((e) => e.code);
  if (codes.includes("LEVEL_LOCKED")) {
    return `it is locked by another process (is another node running on this data directory?): ${text}`;
  }
  if (codes.includes("LEVEL_CORRUPTION") || /corrupt/i.test(text)) {
    return `it is corrupt (restore it from a backup): ${text}`;
  }
  return text;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const message = (error as Error)?.message ?? String(error);
  return cause instanceof Error ? `${message} (${cause.message})` : message;
}
