/**
 * `npm run test:browser`: the public consignment page in headless Chromium (Debian's, driven by playwright-core),
 * as field staff see it on a phone after scanning the waybill's QR code.
 */
import { expect } from "chai";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../support/nodeHarness";
import type { TestNodeEnvironment } from "../support/nodeHarness";
import type { RunningNode } from "../../server/ledgerNode";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(__dirname, "..", "..", "test-results", "screenshots");

describe("the public consignment page (headless Chromium)", function () {
  this.timeout(180_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let browser: Browser;
  let consignmentId: string;
  let carrierId: number;

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    const api = new NodeClient(node.url);
    const admin = node.bootstrapToken!;
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
    const customs = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    carrierId = carrier.id;
    const r = await api.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE2026REL-PAGE",
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true, medical: true },
      location: "KEMBA",
      occurredAt: isoNow(-120),
      payload: { packages: 12 },
    });
    consignmentId = r.body.consignmentId as string;
    await api.post(`/v1/consignments/${consignmentId}/milestones`, carrier.token, {
      eventId: "dispatch",
      kind: "Dispatched",
      location: "KEMBA",
      occurredAt: isoNow(-100),
      payload: { truck: "KDA 7" },
    });
    await api.post(`/v1/consignments/${consignmentId}/milestones`, customs.token, {
      eventId: "export",
      kind: "ExportCleared",
      location: "KEMAL",
      occurredAt: isoNow(-80),
    });
    await api.settled(customs.token, "export");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  it("shows the timeline with a verified mark per milestone on a phone-sized screen", async function () {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await page.goto(`${node.url}/c/${consignmentId}`);
    expect(await page.locator("#verdict").innerText()).to.include("History verified");
    const items = page.locator("#timeline > li");
    expect(await items.count()).to.equal(3);
    expect(await items.locator("h3").allInnerTexts()).to.deep.equal(["Registered", "Dispatched", "ExportCleared"]);
    expect(await page.locator(".milestone.verified .mark").count()).to.equal(3);
    expect(await items.nth(2).innerText()).to.include("Kenya Revenue Authority");
    // Nothing overflows the phone's width.
    const width = (await page.evaluate("document.documentElement.scrollWidth")) as number;
    expect(width).to.be.at.most(390);
    const qrWidth = (await page.evaluate(
      "document.querySelector(\"img[alt='QR code of this page']\").naturalWidth",
    )) as number;
    expect(qrWidth).to.be.greaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, "consignment-verified.png"), fullPage: true });
    await page.close();
  });

  it("shows the failed mark with its reason after a stored document is tampered with", async function () {
    const key = `${carrierId}/dispatch`;
    const original = (await node.store.event(key))!.document;
    await node.store.overwriteDocumentForTest(key, { ...original, payload: { truck: "KDA 8" } });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${node.url}/c/${consignmentId}`);
      expect(await page.locator("#verdict").innerText()).to.include("check failed");
      const dispatched = page.locator("#timeline > li").nth(1);
      expect(await dispatched.getAttribute("class")).to.include("failed");
      expect(await dispatched.locator(".reasons li").getAttribute("data-code")).to.equal("DOCUMENT_HASH_MISMATCH");
      expect(await dispatched.locator(".reasons").innerText()).to.include(
        "the document does not match what was recorded",
      );
      await page.screenshot({ path: join(SCREENSHOTS, "consignment-tampered.png"), fullPage: true });
      await page.close();
    } finally {
      await node.store.overwriteDocumentForTest(key, original);
    }
  });
});
