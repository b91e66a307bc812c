import { expect } from "chai";
import { Wallet } from "ethers";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { payloadHashOf } from "../../../server/domain/payloadHash";
import type { EvidenceBundle } from "../../../server/domain/evidenceBundle";
import { BUNDLE_TAMPERS } from "../../support/bundleTampers";
import { Governance } from "../../../server/chain/governance";
import { ANVIL_DEPLOYER_KEY } from "../../../server/chain/localChain";

type Member = Awaited<ReturnType<NodeClient["member"]>>;

describe("verification routes (real node, LevelDB and anvil)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let admin: string;
  let consignor: Member,
    consignee: Member,
    kenyaCustoms: Member,
    ugandaCustoms: Member,
    carrier: Member,
    outsider: Member;
  let consignmentId: string;

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    admin = node.bootstrapToken!;
    consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    consignee = await api.member(admin, "AidOrganization", "UG", "Uganda Red Cross");
    kenyaCustoms = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    ugandaCustoms = await api.member(admin, "Customs", "UG", "Uganda Revenue Authority");
    carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
    outsider = await api.member(admin, "AidOrganization", "TZ", "Unrelated Relief");
    const registered = await api.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE2026REL-VERIFY",
      consigneeOrganizationId: consignee.id,
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true },
      location: "KEMBA",
      occurredAt: isoNow(-300),
      payload: { declaration: "KE-EX-77", packages: 20 },
    });
    consignmentId = registered.body.consignmentId as string;
    const steps: Array<[Member, string, string, object]> = [
      [carrier, "Dispatched", "KEMBA", { truck: "KDA 1" }],
      [kenyaCustoms, "ExportCleared", "KEMAL", { declaration: "KE-EX-77" }],
      [ugandaCustoms, "Released", "UGTOR", { declaration: "UG-IM-12" }],
    ];
    for (const [i, [who, kind, location, payload]] of steps.entries()) {
      const r = await api.post(`/v1/consignments/${consignmentId}/milestones`, who.token, {
        eventId: `m${i}`,
        kind,
        location,
        occurredAt: isoNow(-200 + i),
        payload,
      });
      expect(r.status, r.text).to.equal(202);
    }
    await api.settled(ugandaCustoms.token, "m2");
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  it("summarizes a consignment for anyone, with parties, status, heads and a verified verdict", async function () {
    const summary = await api.get(`/v1/consignments/${consignmentId}`);
    expect(summary.status, summary.text).to.equal(200);
    expect(summary.body).to.deep.include({
      originCountry: "KE",
      destinationCountry: "UG",
      status: "Released",
      milestoneCount: 4,
      verdict: "verified",
    });
    expect(summary.body.consignor).to.deep.include({
      id: consignor.id,
      name: "Kenya Red Cross",
      kind: "AidOrganization",
    });
    const head = summary.body.head as { node: string; chain: string; matches: boolean };
    expect(head.matches).to.equal(true);
    expect(head.node).to.equal(head.chain);
    expect(head.chain).to.match(/^0x[0-9a-f]{64}$/);
    expect(summary.body).to.not.have.property("reference");
  });

  it("lists the history with every named check, documents only for involved organizations", async function () {
    const publicView = await api.get(`/v1/consignments/${consignmentId}/milestones`);
    const milestones = publicView.body.milestones as Array<
      Record<string, unknown> & { checks: Array<{ check: string; ok: boolean }> }
    >;
    expect(milestones.map((m) => m.kind)).to.deep.equal(["Registered", "Dispatched", "ExportCleared", "Released"]);
    expect(milestones[0].checks.map((c) => c.check)).to.deep.equal([
      "payloadHash",
      "signature",
      "signerAuthorized",
      "signerNotCompromised",
      "onChain",
      "linksToPrevious",
      "kindAndJurisdiction",
    ]);
    for (const m of milestones) {
      expect(m.verified, String(m.kind)).to.equal(true);
      expect(m.document).to.equal(undefined);
      expect(m.chain).to.have.keys(["txHash", "blockNumber", "logIndex", "blockTime"]);
    }
    expect((milestones[2].organization as { name: string }).name).to.equal("Kenya Revenue Authority");
    const involved = await api.get(`/v1/consignments/${consignmentId}/milestones`, consignee.token);
    expect((involved.body.milestones as Array<{ document: unknown }>)[0].document).to.deep.equal({
      eventId: "reg",
      payload: { declaration: "KE-EX-77", packages: 20 },
    });
    const stranger = await api.get(`/v1/consignments/${consignmentId}/milestones`, outsider.token);
    expect(stranger.body.documentsShown).to.equal(false);
    expect((stranger.body.milestones as Array<{ document: unknown }>)[0].document).to.equal(undefined);
  });

  it("answers 404 CONSIGNMENT_NOT_FOUND for an unknown id and 400 for a malformed one", async function () {
    expect((await api.get(`/v1/consignments/0x${"ab".repeat(32)}`)).body.error?.code).to.equal("CONSIGNMENT_NOT_FOUND");
    expect((await api.get("/v1/consignments/not-an-id")).status).to.equal(400);
  });

  async function bundle(token?: string): Promise<EvidenceBundle> {
    const response = await api.get(`/v1/consignments/${consignmentId}/evidence`, token);
    expect(response.status, response.text).to.equal(200);
    return response.body as unknown as EvidenceBundle;
  }

  it("issues a self-contained evidence bundle that POST /v1/verify finds verified", async function () {
    const b = await bundle(consignor.token);
    expect(b).to.include({ format: "consignment-ledger/evidence-bundle", version: 1, chainId: 31337, consignmentId });
    expect(b.milestones).to.have.length(4);
    expect(b.milestones[0].document).to.deep.include({ eventId: "reg" });
    expect(b.keys.map((k) => k.organizationId).sort()).to.deep.equal(
      [consignor.id, kenyaCustoms.id, ugandaCustoms.id, carrier.id].sort(),
    );
    const verdict = await api.post("/v1/verify", undefined, b);
    expect(verdict.status, verdict.text).to.equal(200);
    expect(verdict.body.verdict).to.equal("verified");
    expect(verdict.body.failures).to.deep.equal([]);
  });

  const governance = () => new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));

  describe("tampered bundles, each caught with its own code", function () {
    for (const { name, code, tamper } of BUNDLE_TAMPERS) {
      it(`${name}: ${code}`, async function () {
        const b = await bundle(consignor.token);
        await tamper(b, {
          governance: governance(),
          otherOrganizationId: ugandaCustoms.id,
          signingOrganizationId: kenyaCustoms.id,
        });
        const verdict = await api.post("/v1/verify", undefined, b);
        expect(verdict.status, verdict.text).to.equal(200);
        expect(verdict.body.verdict).to.equal("failed");
        expect((verdict.body.failures as Array<{ code: string }>).map((f) => f.code)).to.include(code);
      });
    }
  });

  it("verifies a single milestone with its document, signature and chain reference", async function () {
    const b = await bundle(consignor.token);
    const single = { ...b, milestones: [b.milestones[2]] };
    const verdict = await api.post("/v1/verify", undefined, single);
    expect(verdict.body.verdict, verdict.text).to.equal("verified");
    (single.milestones[0].document as { payload: { declaration: string } }).payload.declaration = "forged";
    const tampered = await api.post("/v1/verify", undefined, single);
    expect((tampered.body.failures as Array<{ code: string }>).map((f) => f.code)).to.deep.equal([
      "DOCUMENT_HASH_MISMATCH",
    ]);
  });

  it("flags, through the API, a document tampered in the node's own store", async function () {
    const key = `${carrier.id}/m0`;
    const original = (await node.store.event(key))!.document;
    await node.store.overwriteDocumentForTest(key, { ...original, payload: { truck: "KDA 2" } });
    try {
      const view = await api.get(`/v1/consignments/${consignmentId}/milestones`);
      expect(view.body.verdict).to.equal("failed");
      const dispatched = (view.body.milestones as Array<{ verified: boolean; checks: Array<{ code?: string }> }>)[1];
      expect(dispatched.verified).to.equal(false);
      expect(dispatched.checks.map((c) => c.code)).to.include("DOCUMENT_HASH_MISMATCH");
      const page = await api.get(`/c/${consignmentId}`);
      expect(page.text).to.include('data-code="DOCUMENT_HASH_MISMATCH"');
    } finally {
      await node.store.overwriteDocumentForTest(key, original);
    }
  });

  it("serves the public page with a verified mark per milestone, and its QR code, with security headers", async function () {
    const page = await api.request("GET", `/c/${consignmentId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include("History verified");
    expect(page.text.match(/class="milestone verified"/g)).to.have.length(4);
    expect(page.text).to.not.include("<script");
    const qr = await fetch(`${node.url}/c/${consignmentId}/qr.svg`);
    expect(qr.headers.get("content-type")).to.match(/^image\/svg\+xml/);
    expect(await qr.text()).to.match(/^<svg/);
    const headers = await fetch(`${node.url}/c/${consignmentId}`);
    expect(headers.headers.get("content-security-policy")).to.include("default-src 'self'");
    expect(headers.headers.get("x-content-type-options")).to.equal("nosniff");
  });

  it("checks payload hashes as the chain has them (cross-check)", async function () {
    const view = await api.get(`/v1/consignments/${consignmentId}/milestones`, consignor.token);
    const first = (
      view.body.milestones as Array<{ payloadHash: string; document: { eventId: string; payload: object } }>
    )[0];
    expect(payloadHashOf(first.document as never)).to.equal(first.payloadHash);
  });

  it("shows a correction beside the milestone it corrects, without rewriting it", async function () {
    const posted = await api.post(`/v1/consignments/${consignmentId}/milestones`, carrier.token, {
      eventId: "correct-dispatch",
      kind: "Correction",
      correctedIndex: 1,
      location: "KEMBA",
      occurredAt: isoNow(-1),
      payload: { field: "truck", was: "KDA 1", is: "KDA 11" },
    });
    expect(posted.status, posted.text).to.equal(202);
    expect((await api.settled(carrier.token, "correct-dispatch")).state).to.equal("recorded");
    const view = await api.get(`/v1/consignments/${consignmentId}/milestones`);
    const milestones = view.body.milestones as Array<{
      index: number;
      kind: string;
      verified: boolean;
      correctedBy?: number[];
      correctedIndex?: number;
    }>;
    const correction = milestones.at(-1)!;
    expect(correction).to.deep.include({ kind: "Correction", correctedIndex: 1, verified: true });
    expect(milestones[1]).to.deep.include({ kind: "Dispatched", correctedBy: [correction.index], verified: true });
    expect(view.body.verdict).to.equal("verified");
    const page = await api.get(`/c/${consignmentId}`);
    expect(page.text).to.include(`Corrected by milestone ${correction.index}`);
    expect(page.text).to.include("Corrects milestone 1");
  });

  it("flags what a key signed after its declared compromise time, keeps what it signed before, and goes on with a rotated key", async function () {
    const provider = node.client.provider;
    const before = await api.settled(carrier.token, "m0");
    await provider.send("evm_increaseTime", [600]);
    await api.post(`/v1/consignments/${consignmentId}/milestones`, carrier.token, {
      eventId: "late",
      kind: "Incident",
      location: "UGKLA",
      occurredAt: isoNow(-1),
      payload: { note: "tyre" },
    });
    const late = await api.settled(carrier.token, "late");
    expect(late.state).to.equal("recorded");
    const block = await provider.getBlock(before.blockNumber as number);
    const compromisedAt = new Date((block!.timestamp + 300) * 1000).toISOString();
    // The carrier's admin reports the key stolen since then; the node rotates to a new key.
    const carrierKey = (await node.store.organization(carrier.id))!.signers[0].address;
    await api.post(`/v1/admin/organizations/${carrier.id}/signers`, admin, {});
    const revoked = await api.post(`/v1/admin/organizations/${carrier.id}/signers/${carrierKey}/revoke`, admin, {
      compromisedAt,
    });
    expect(revoked.status, revoked.text).to.equal(200);

    const view = await api.get(`/v1/consignments/${consignmentId}/milestones`);
    const byKind = Object.fromEntries(
      (view.body.milestones as Array<{ kind: string; verified: boolean; checks: Array<{ code?: string }> }>).map(
        (m) => [m.kind, m],
      ),
    );
    expect(byKind.Dispatched.verified, "signed before the compromise").to.equal(true);
    expect(byKind.Incident.verified).to.equal(false);
    expect(byKind.Incident.checks.map((c) => c.code)).to.include("SIGNER_COMPROMISED");

    const after = await api.post(`/v1/consignments/${consignmentId}/milestones`, carrier.token, {
      eventId: "after-rotation",
      kind: "Delivered",
      location: "UGKLA",
      occurredAt: isoNow(-1),
    });
    expect(after.status, after.text).to.equal(202);
    const recorded = await api.settled(carrier.token, "after-rotation");
    expect(recorded.state).to.equal("recorded");
    expect(recorded.signer).to.not.equal(carrierKey);
  });
});
