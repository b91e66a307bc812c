import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

// The compiler comes from the npm package `solc`, pinned in package.json to this exact version,
// so compiling never downloads anything (this machine has no internet).
const SOLC_VERSION = "0.8.28";
const EVM_VERSION = "cancun";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }: { solcVersion: string }) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(`Only solc ${SOLC_VERSION} is installed offline; a contract asked for ${solcVersion}`);
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: solcVersion,
    longVersion,
  };
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
    version: SOLC_VERSION,
    settings: {
      evmVersion: EVM_VERSION,
      viaIR: true,
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  networks: {
    hardhat: { hardfork: EVM_VERSION },
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
