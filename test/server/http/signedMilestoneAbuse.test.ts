/**
 * The authorization cells that need signatures, as one table: a customs administration's own key in its own country
 * (the baseline), then every way a caller might try to make a milestone speak for someone else or land twice:
 * a replay under the same or a new eventId, another organization posting it, a signature for another chain or
 * another ledger, a key revoked on chain, and customs acting outside their country. Each cell names the status and
 * code expected; the test fails on any cell that differs, and checks the chain holds the baseline exactly once.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { Governance } from "../../../server/chain/governance";
import { ANVIL_DEPLOYER_KEY } from "../../../server/chain/localChain";
import { ChainHistory } from "../../../server/chain/chainHistory";
import { signMilestoneAsClient } from "../../support/clientSignedMilestones";

describe("authorization cells for signed milestones (replay, other chain, revoked signer, other jurisdiction)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let consignmentId: string;
  let kenyaCustoms: { id: number; token: string };
  let ugandaCustoms: { id: number; token: string };
  let kenyaKey: Wallet;
  let ugandaKey: Wallet;
  let revokedKey: Wallet;

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    const admin = node.bootstrapToken!;
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    kenyaCustoms = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    ugandaCustoms = await api.member(admin, "Customs", "UG", "Uganda Revenue Authority");
    const registered = await api.post("/v1/consignments", consignor.token, {
      eventId: "registration",
      reference: "KE2026REL-ABUSE-1",
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true },
      location: "KEMBA",
      occurredAt: isoNow(-60),
    });
    consignmentId = registered.body.consignmentId as string;
    await api.settled(consignor.token, "registration");

    // The customs systems hold their own keys, which governance puts on chain; one is then revoked.
    const governance = new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));
    [kenyaKey, ugandaKey, revokedKey] = [0, 1, 2].map(() => new Wallet(Wallet.createRandom().privateKey));
    await governance.addSigner(kenyaCustoms.id, kenyaKey.address);
    await governance.addSigner(ugandaCustoms.id, ugandaKey.address);
    await governance.addSigner(kenyaCustoms.id, revokedKey.address);
    await governance.revokeSigner(revokedKey.address, 0);
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  const head = async () => (await node.client.readConsignment(consignmentId))!.head;
  const post = (token: string, body: unknown) => api.post(`/v1/consignments/${consignmentId}/milestones`, token, body);
  const ledger = () => ({ chainId: node.deployment.chainId, address: node.deployment.address });

  it("answers every cell as the table says, and records the baseline exactly once", async function () {
    const baseline = await signMilestoneAsClient(ledger(), kenyaKey, {
      eventId: "kenya-own-key",
      consignmentId,
      prevHash: await head(),
    });
    const cells: Array<{ cell: string; expect: string; send: () => ReturnType<NodeClient["post"]> }> = [
      {
        cell: "Kenya customs, its own key, in Kenya (baseline)",
        expect: "202",
        send: () => post(kenyaCustoms.token, baseline.body),
      },
      {
        cell: "the same request replayed (same eventId, same body)",
        expect: "202",
        send: async () => {
          await api.settled(kenyaCustoms.token, "kenya-own-key");
          return post(kenyaCustoms.token, baseline.body);
        },
      },
      {
        cell: "the recorded signature replayed under a new eventId",
        expect: "422 SIGNATURE_MISMATCH",
        send: () => post(kenyaCustoms.token, { ...baseline.body, eventId: "kenya-replayed" }),
      },
      {
        cell: "Kenya's signed milestone posted with Uganda's API key (A's key acting for B)",
        expect: "403 SIGNER_NOT_OF_ORGANIZATION",
        send: async () =>
          post(
            ugandaCustoms.token,
            (
              await signMilestoneAsClient(ledger(), kenyaKey, {
                eventId: "kenya-for-uganda",
                consignmentId,
                prevHash: await head(),
              })
            ).body,
          ),
      },
      {
        cell: "Kenya's API key with Uganda's signer key",
        expect: "403 SIGNER_NOT_OF_ORGANIZATION",
        send: async () =>
          post(
            kenyaCustoms.token,
            (
              await signMilestoneAsClient(ledger(), ugandaKey, {
                eventId: "uganda-key",
                consignmentId,
                prevHash: await head(),
              })
            ).body,
          ),
      },
      {
        cell: "signed for another chain (chain id 1)",
        expect: "422 SIGNATURE_MISMATCH",
        send: async () =>
          post(
            kenyaCustoms.token,
            (
              await signMilestoneAsClient({ ...ledger(), chainId: 1 }, kenyaKey, {
                eventId: "other-chain",
                consignmentId,
                prevHash: await head(),
              })
            ).body,
          ),
      },
      {
        cell: "signed for another ledger contract",
        expect: "422 SIGNATURE_MISMATCH",
        send: async () =>
          post(
            kenyaCustoms.token,
            (
              await signMilestoneAsClient({ ...ledger(), address: Wallet.createRandom().address }, kenyaKey, {
                eventId: "other-contract",
                consignmentId,
                prevHash: await head(),
              })
            ).body,
          ),
      },
      {
        cell: "signed by a key revoked on chain",
        expect: "422 SIGNER_KEY_REVOKED",
        send: async () =>
          post(
            kenyaCustoms.token,
            (
              await signMilestoneAsClient(ledger(), revokedKey, {
                eventId: "revoked-key",
                consignmentId,
                prevHash: await head(),
              })
            ).body,
          ),
      },
      {
        cell: "Kenya customs clearing at a Ugandan post (its own key)",
        expect: "422 OUTSIDE_JURISDICTION",
        send: async () =>
          post(
            kenyaCustoms.token,
            (
              await signMilestoneAsClient(ledger(), kenyaKey, {
                eventId: "kenya-in-uganda",
                consignmentId,
                prevHash: await head(),
                kind: "Released",
                location: "UGTOR",
              })
            ).body,
          ),
      },
      {
        cell: "Kenya customs clearing at a Ugandan post (signed by the node)",
        expect: "422 OUTSIDE_JURISDICTION",
        send: () =>
          post(kenyaCustoms.token, {
            eventId: "kenya-in-uganda-node",
            kind: "Released",
            location: "UGTOR",
            occurredAt: isoNow(-5),
            payload: {},
          }),
      },
    ];

    const actual: Record<string, string> = {};
    for (const { cell, send } of cells) {
      const response = await send();
      actual[cell] = [response.status, response.body?.error?.code].filter(Boolean).join(" ");
    }
    expect(actual).to.deep.equal(Object.fromEntries(cells.map((c) => [c.cell, c.expect])));

    const history = (await new ChainHistory(node.client.provider, node.deployment).histories(consignmentId)).get(
      consignmentId.toLowerCase(),
    )!;
    const baselineHash = (await api.settled(kenyaCustoms.token, "kenya-own-key")).payloadHash;
    expect(history.filter((m) => m.payloadHash === baselineHash)).to.have.length(1);
    expect(history).to.have.length(2); // the registration and the baseline: nothing else landed
  });
});
