import { expect } from "chai";
import { Wallet } from "ethers";
import { LedgerError } from "../../../server/errors";
import {
  peerAuthorization,
  verifyPeerAuthorization,
  PEER_REQUEST_MAX_SKEW_SECONDS,
} from "../../../server/domain/peerRequests";
import { retryDelayMs, verifyWebhookSignature, webhookSignature } from "../../../server/domain/webhookDelivery";

const deployment = { chainId: 31337, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const key = Wallet.createRandom();
const now = 1_764_300_000;
const path = "/v1/peer/consignments/0xab/documents/0xcd";

function refused(run: () => unknown): LedgerError {
  try {
    run();
  } catch (error) {
    return error as LedgerError;
  }
  throw new Error("accepted");
}

describe("peer credentials", function () {
  it("verify for the request, chain and contract they were signed for", async function () {
    const header = await peerAuthorization(key, deployment, { organizationId: 7, method: "GET", path, issuedAt: now });
    expect(verifyPeerAuthorization(header, deployment, "GET", path, now + 5)).to.deep.equal({
      organizationId: 7,
      signer: key.address.toLowerCase(),
    });
  });

  it("are refused for another path, another chain, another contract, a stale time, a swapped organization or garbage", async function () {
    const header = await peerAuthorization(key, deployment, { organizationId: 7, method: "GET", path, issuedAt: now });
    const cases: Array<[string, () => unknown]> = [
      ["other path", () => verifyPeerAuthorization(header, deployment, "GET", path + "ff", now)],
      ["other chain", () => verifyPeerAuthorization(header, { ...deployment, chainId: 1 }, "GET", path, now)],
      [
        "other contract",
        () =>
          verifyPeerAuthorization(header, { ...deployment, address: Wallet.createRandom().address }, "GET", path, now),
      ],
      [
        "stale",
        () => verifyPeerAuthorization(header, deployment, "GET", path, now + PEER_REQUEST_MAX_SKEW_SECONDS + 1),
      ],
      ["bearer scheme", () => verifyPeerAuthorization("Bearer clk_x", deployment, "GET", path, now)],
      ["garbage", () => verifyPeerAuthorization("LedgerPeer !!!", deployment, "GET", path, now)],
      [
        "organization swapped",
        () => {
          const credential = JSON.parse(Buffer.from(header.split(" ")[1], "base64url").toString());
          const forged =
            "LedgerPeer " + Buffer.from(JSON.stringify({ ...credential, organizationId: 8 })).toString("base64url");
          return verifyPeerAuthorization(forged, deployment, "GET", path, now);
        },
      ],
    ];
    for (const [name, run] of cases) expect(refused(run).code, name).to.equal("UNAUTHENTICATED");
  });
});

describe("webhook signatures and retries", function () {
  it("verify the exact body with the secret, and nothing else", function () {
    const body = JSON.stringify({ id: 1, type: "milestone.recorded" });
    const header = webhookSignature("whsec_a", body);
    expect(header).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature("whsec_a", body, header)).to.equal(true);
    expect(verifyWebhookSignature("whsec_b", body, header)).to.equal(false);
    expect(verifyWebhookSignature("whsec_a", body.replace("1", "2"), header)).to.equal(false);
    const flipped = header.slice(0, -1) + (header.endsWith("0") ? "1" : "0");
    expect(verifyWebhookSignature("whsec_a", body, flipped)).to.equal(false);
    expect(verifyWebhookSignature("whsec_a", body, undefined)).to.equal(false);
  });

  it("back off exponentially up to the cap", function () {
    const policy = { baseMs: 1000, maxMs: 600_000, maxAttempts: 12 };
    expect([1, 2, 3, 4, 10, 11].map((n) => retryDelayMs(policy, n))).to.deep.equal([
      1000, 2000, 4000, 8000, 512_000, 600_000,
    ]);
  });
});
