import { subtask } from "hardhat/config";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
  TASK_TEST_GET_TEST_FILES,
} from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

// The compilers come from npm packages pinned in package.json to these exact versions, so compiling never
// downloads anything (this machine has no internet): `solc` for the ledger, and the alias `solc-0.8.29` for the
// Ethereum Attestation Service contracts the gas benchmark compares against (their pragma is exactly 0.8.29).
const SOLC_VERSION = "0.8.28";
const EAS_SOLC_VERSION = "0.8.29";
const SOLC_PACKAGES: Record<string, string> = { [SOLC_VERSION]: "solc", [EAS_SOLC_VERSION]: "solc-0.8.29" };
const EVM_VERSION = "cancun";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }: { solcVersion: string }) => {
  const pkg = SOLC_PACKAGES[solcVersion];
  if (!pkg) {
    throw new Error(
      `Only solc ${Object.keys(SOLC_PACKAGES).join(" and ")} are installed offline; a contract asked for ${solcVersion}`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require(pkg) as { version(): string };
  return {
    compilerPath: require.resolve(`${pkg}/soljson.js`),
    isSolcJs: true,
    version: solcVersion,
    longVersion: solc.version().replace(/\.Emscripten\.clang$/, ""),
  };
});

// The benchmark's contracts (a naive baseline, and the entry point that pulls in EAS) live in bench/contracts,
// apart from the ledger's own sources.
subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS).setAction(async (args, _hre, runSuper) => {
  const sources: string[] = await runSuper(args);
  const bench = join(__dirname, "bench", "contracts");
  return [
    ...sources,
    ...readdirSync(bench)
      .filter((f) => f.endsWith(".sol"))
      .map((f) => join(bench, f)),
  ];
});

// `npm test` runs everything under test/ but the browser suite (npm run test:browser) and the support modules.
subtask(TASK_TEST_GET_TEST_FILES).setAction(async ({ testFiles }: { testFiles: string[] }, _hre, runSuper) => {
  const files: string[] = await runSuper({ testFiles });
  if (testFiles.length > 0) return files;
  return files.filter((file) => /\.test\.ts$/.test(file) && !/[\\/]test[\\/](browser|support)[\\/]/.test(file));
});

const qbftKey = process.env.QBFT_DEPLOYER_KEY;

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { evmVersion: EVM_VERSION, viaIR: true, optimizer: { enabled: true, runs: 10_000 } },
      },
      // The settings EAS's own deployments were compiled with (their metadata): 1,000,000 runs and viaIR.
      {
        version: EAS_SOLC_VERSION,
        settings: { evmVersion: EVM_VERSION, viaIR: true, optimizer: { enabled: true, runs: 1_000_000 } },
      },
    ],
  },
  networks: {
    // A large block gas limit, as consortium chains set: the gas benchmark sends EAS batches of 100 in one block.
    hardhat: { hardfork: EVM_VERSION, blockGasLimit: 100_000_000 },
    localhost: { url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545" },
    qbft: {
      // Unset, the URL points nowhere on purpose: deploying to qbft must name the real network.
      url: process.env.QBFT_RPC_URL ?? "http://qbft-rpc-url-not-set.invalid:8545",
      chainId: Number(process.env.QBFT_CHAIN_ID ?? 1337),
      accounts: qbftKey ? [qbftKey] : [],
      // QBFT consortium chains run with free gas (--min-gas-price=0, baseFeePerGas 0).
      gasPrice: 0,
    },
  },
  paths: {
    sources: "./contracts",
    tests: "./test",
    cache: "./cache",
    artifacts: "./artifacts",
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
};

export default config;
