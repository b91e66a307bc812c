import { expect } from "chai";
import { ConfigError, loadConfig } from "../../server/config";

describe("config", function () {
  it("runs on the embedded chain with no settings at all", function () {
    const config = loadConfig({}, "/srv/ledger");
    expect(config.port).to.equal(8787);
    expect(config.dataDir).to.equal("/srv/ledger/.data");
    expect(config.chain).to.deep.include({ mode: "embedded", port: 8545, blockTime: 1 });
    expect(config.chain.deploymentFile).to.equal("/srv/ledger/deployments/local.json");
  });

  it("uses an external chain when CHAIN_RPC_URL and its companions are set", function () {
    const config = loadConfig({
      CHAIN_RPC_URL: "http://validator-1:8545",
      CHAIN_ID: "1337",
      DEPLOYMENT_FILE: "deployments/qbft.json",
      RELAYER_KEY: "0x" + "11".repeat(32),
    });
    expect(config.chain).to.deep.include({ mode: "external", rpcUrl: "http://validator-1:8545", chainId: 1337 });
  });

  const wrong: Array<[string, Record<string, string>, RegExp]> = [
    ["a port that is not a number", { PORT: "eighty" }, /^invalid setting PORT: /],
    ["a port out of range", { PORT: "70000" }, /^invalid setting PORT: /],
    ["an unknown log level", { LOG_LEVEL: "loud" }, /^invalid setting LOG_LEVEL: /],
    [
      "an external chain without its id",
      { CHAIN_RPC_URL: "http://x:8545", DEPLOYMENT_FILE: "d.json", RELAYER_KEY: "0x" + "11".repeat(32) },
      /^invalid setting CHAIN_ID: is required/,
    ],
    ["a relayer key that is not a key", { RELAYER_KEY: "0x1234" }, /^invalid setting RELAYER_KEY: /],
    ["a batch size over 500", { BATCH_SIZE: "1000" }, /^invalid setting BATCH_SIZE: /],
    [
      "a scrypt cost that is not a power of two",
      { KEYSTORE_SCRYPT_N: "3000" },
      /^invalid setting KEYSTORE_SCRYPT_N: must be a power of two/,
    ],
    ["a short passphrase", { KEYSTORE_PASSPHRASE: "short" }, /^invalid setting KEYSTORE_PASSPHRASE: /],
  ];
  for (const [name, env, message] of wrong) {
    it(`refuses ${name} with one line naming the setting`, function () {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }
});
