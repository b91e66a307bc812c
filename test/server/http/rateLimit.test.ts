import { expect } from "chai";
import { NodeClient, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";

describe("public verification routes under load", function () {
  this.timeout(60_000);

  it("answer 429 RATE_LIMITED past PUBLIC_REQUESTS_PER_MINUTE, with the standard rate-limit headers", async function () {
    const environment = await testNodeEnvironment({ PUBLIC_REQUESTS_PER_MINUTE: "3" });
    const node = await startTestNode(environment);
    try {
      const api = new NodeClient(node.url);
      const id = "0x" + "12".repeat(32);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await api.get(`/v1/consignments/${id}`)).status);
      expect(statuses).to.deep.equal([404, 404, 404, 429]);
      const limited = await fetch(`${node.url}/v1/consignments/${id}`);
      expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal("RATE_LIMITED");
      expect(limited.headers.get("ratelimit-policy")).to.include("3");
      // Ingest is for authenticated systems and is not limited by the public budget.
      expect((await api.get("/healthz")).status).to.equal(200);
    } finally {
      await node.stop();
      removeDataDir(environment);
    }
  });
});
