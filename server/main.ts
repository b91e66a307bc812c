/**
 * `npm start`: the ledger node. With no configuration it launches and persists its own local chain; with
 * CHAIN_RPC_URL it joins an external network. A setting or start-up failure, or a store that fails while it runs,
 * stops it with one line.
 */
import { loadConfig } from "./config";
import { startLedgerNode } from "./ledgerNode";
import { createLogger } from "./telemetry/logger";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`consignment-ledger: ${(error as Error).message}`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let node;
  try {
    node = await startLedgerNode(config, logger);
  } catch (error) {
    console.error(`consignment-ledger: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  if (node.bootstrapToken) {
    // Printed once, on the first start: the operator's admin API key (also in <DATA_DIR>/bootstrap-admin-key).
    process.stdout.write(
      `\nBootstrap admin API key (shown once, also saved in ${config.dataDir}/bootstrap-admin-key):\n  ${node.bootstrapToken}\n\n`,
    );
  }
  process.stdout.write(
    `Consignment Ledger node listening on ${node.url} (contract ${node.deployment.address}, chain ${node.deployment.chainId})\n`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "received signal");
    node
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // A node whose store failed stops with one line and a failing exit code, for its supervisor to restart it once the
  // disk is fixed; everything it acknowledged is on disk, everything else was refused.
  void node.failed.then((error) => {
    if (stopping) return;
    stopping = true;
    console.error(`consignment-ledger: stopping: ${error.message}`);
    node
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  });
}

void main();
