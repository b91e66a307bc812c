/**
 * Runs a drill: a fresh local chain and two real node processes (A launches the chain, B joins it, as two
 * administrations would), every party hosted on its node, and every party driven through the HTTP API as its own
 * system would drive it, retrying while its node is down. Disruptions happen on schedule. At the end the ledger is
 * read back from the chain alone, the auditor's check runs over everything, and the alerts are collected with the
 * time from each cause to its alert.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { ChainHistory } from "../server/chain/chainHistory";
import { runAudit } from "../server/chain/audit";
import { readDeploymentRecord } from "../server/chain/ledgerDeployment";
import { ANVIL_CHAIN_ID, ANVIL_DEPLOYER_KEY, ANVIL_SECOND_RELAYER_KEY } from "../server/chain/localChain";
import { positionOf } from "../server/domain/consignmentIndex";
import { MilestoneKind } from "../server/domain/milestoneKinds";
import type { JsonValue } from "../server/domain/payloadHash";
import { NodeClient, freePort } from "../test/support/nodeHarness";
import { runNode, stopNode } from "../test/support/nodeProcess";
import { outboxDrained } from "../test/support/chainTally";
import type { NodeProcess } from "../test/support/nodeProcess";
import type { Disruption, Scenario } from "./scenario";

type NodeName = "A" | "B";
type PartyKind = "Customs" | "Agency" | "AidOrganization" | "Carrier";

interface Party {
  name: string;
  kind: PartyKind;
  country: string;
  node: NodeName;
  id: number;
  token: string;
  signer: string;
}

/** An event the drill posted and the node acknowledged (202). */
export interface PostedEvent {
  eventId: string;
  consignment: number;
  kind: string;
  place: string;
  node: NodeName;
  payloadHash: string;
  firstTriedAt: number;
  acceptedAt: number;
}

export interface DrillAlert {
  alertId: string;
  factor: string;
  consignment: number | null;
  raisedAt: string;
  detail?: string;
  causeAt: number | null;
  secondsFromCause: number | null;
  cause: string;
}

export interface DrillResult {
  scenario: Scenario;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  consignments: { total: number; registered: number; delivered: number; ids: string[] };
  events: { acknowledged: number; recorded: number; lost: number; duplicates: number };
  audit: {
    consignments: number;
    milestones: number;
    unverifiable: number;
    signedAfterCompromise: number;
    /** Every failure the audit found, by code and consignment, for the report. */
    failures: Array<{ consignment: number | null; index: number | null; code: string; message: string }>;
  };
  clearance: Array<{
    place: string;
    direction: "exit" | "entry";
    passages: number;
    hours: number[];
    medianHours: number;
    maxHours: number;
    targetHours: number;
    withinTarget: number;
  }>;
  alerts: DrillAlert[];
  timeline: Array<{ hour: number; at: string; what: string }>;
  /** With keepData: where node A's data (and the chain's persisted state) stayed, to read the ledger again. */
  kept?: { dataDir: string; deploymentFile: string };
}

export interface DrillOptions {
  log?: (line: string) => void;
  /** Keep the nodes' data directories (for inspection) instead of removing them. */
  keepData?: boolean;
  /** Aborting stops every party and both nodes (Ctrl-C). */
  signal?: AbortSignal;
}

const RETRY_MS = 300;

export async function runDrill(scenario: Scenario, options: DrillOptions = {}): Promise<DrillResult> {
  const log = options.log ?? (() => undefined);
  const sph = scenario.secondsPerHour;
  const realHours = (hours: number) => (hours * sph) / 3600;
  const dirs = { A: mkdtempSync(join(tmpdir(), "drill-a-")), B: mkdtempSync(join(tmpdir(), "drill-b-")) };
  const ports = { A: await freePort(), B: await freePort(), chain: await freePort() };
  const riskSettings = {
    RISK_RELIEF_RELEASE_HOURS: String(realHours(scenario.targets.reliefReleaseHours)),
    RISK_EMERGENCY_RELEASE_HOURS: String(realHours(scenario.targets.emergencyReleaseHours)),
    RISK_STANDARD_RELEASE_HOURS: String(realHours(48)),
    RISK_STALLED_HOURS: String(realHours(24)),
    RISK_INTERVAL_MS: String(Math.max(250, Math.round(sph * 250))),
    RISK_MIN_SAMPLES: "1000",
    LOG_LEVEL: "warn",
    KEYSTORE_SCRYPT_N: "1024",
    INDEX_POLL_MS: "200",
    PEER_RETRY_MAX_MS: "1000",
    BATCH_WAIT_MS: "100",
  };
  const envA = {
    ...riskSettings,
    DATA_DIR: dirs.A,
    PORT: String(ports.A),
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.A}`,
    EMBEDDED_CHAIN_PORT: String(ports.chain),
    EMBEDDED_BLOCK_TIME: "1",
    DEPLOYMENT_FILE: join(dirs.A, "deployments", "local.json"),
  };
  const envB = {
    ...riskSettings,
    DATA_DIR: dirs.B,
    PORT: String(ports.B),
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.B}`,
    CHAIN_RPC_URL: `http://127.0.0.1:${ports.chain}`,
    CHAIN_ID: String(ANVIL_CHAIN_ID),
    DEPLOYMENT_FILE: envA.DEPLOYMENT_FILE,
    RELAYER_KEY: ANVIL_SECOND_RELAYER_KEY,
    GOVERNOR_KEY: ANVIL_DEPLOYER_KEY,
    KEYSTORE_PASSPHRASE: "drill node B passphrase",
  };
  const nodes: Record<NodeName, NodeProcess | undefined> = { A: undefined, B: undefined };
  const urls = { A: `http://127.0.0.1:${ports.A}`, B: `http://127.0.0.1:${ports.B}` };
  const timeline: DrillResult["timeline"] = [];
  const posted = new Map<string, PostedEvent>();
  let start = 0;
  /** Set when the drill ends (or fails): every party's loop stops. */
  let aborted = false;
  const hourNow = () => (Date.now() - start) / 1000 / sph;
  const note = (what: string) => {
    const hour = Math.round(hourNow() * 10) / 10;
    timeline.push({ hour, at: new Date().toISOString(), what });
    log(`  h${hour.toFixed(1).padStart(5)}  ${what}`);
  };
  const at = async (hour: number) => {
    const wait = start + hour * sph * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (aborted) throw new DrillError("the drill stopped");
  };

  const startedAt = new Date();
  const stopNodes = async () => {
    for (const name of ["B", "A"] as const) {
      const node = nodes[name];
      nodes[name] = undefined;
      if (node) await stopNode(node).catch(() => undefined);
    }
  };
  options.signal?.addEventListener("abort", () => {
    aborted = true;
    void stopNodes();
  });
  try {
    log(`starting node A (launches the chain) and node B (joins it)`);
    nodes.A = await runNode(envA);
    nodes.B = await runNode(envB);
    const operators = { A: nodes.A.bootstrapToken!, B: nodes.B.bootstrapToken! };

    const parties = new Map<string, Party>();
    const host = async (list: Scenario["aidOrganizations"], kind: PartyKind) => {
      for (const p of list) {
        const member = await new NodeClient(urls[p.node]).member(operators[p.node], kind, p.country, p.name);
        parties.set(p.name, { ...p, kind, id: member.id, token: member.token, signer: member.signer });
      }
    };
    await host(scenario.administrations, "Customs");
    await host(scenario.agencies, "Agency");
    await host(scenario.aidOrganizations, "AidOrganization");
    await host(scenario.carriers, "Carrier");
    log(`hosted ${parties.size} organizations on nodes A and B`);
    const party = (name: string) => parties.get(name)!;

    /** Posts as a party's own system would: again and again while its node is down or busy. */
    const send = async (p: Party, path: string, body: Record<string, unknown>) => {
      const firstTriedAt = Date.now();
      for (;;) {
        if (aborted) throw new DrillError("the drill stopped");
        try {
          const response = await fetch(urls[p.node] + path, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${p.token}` },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await response.text();
          if (response.status === 503 || response.status === 429) throw new Error(text);
          if (response.status >= 400) throw new DrillError(`${p.name} ${path}: ${response.status} ${text}`);
          return { body: JSON.parse(text) as Record<string, unknown>, firstTriedAt, acceptedAt: Date.now() };
        } catch (error) {
          if (error instanceof DrillError) throw error;
          if (Date.now() - firstTriedAt > 600_000) throw new DrillError(`${p.name} ${path}: gave up: ${error}`);
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    };

    /** Waits until a party's event is recorded on chain, asking its node (and waiting while that node is down). */
    const recorded = async (p: Party, eventId: string) => {
      for (;;) {
        if (aborted) throw new DrillError("the drill stopped");
        const state = await fetch(`${urls[p.node]}/v1/milestones/${eventId}`, {
          headers: { authorization: `Bearer ${p.token}` },
          signal: AbortSignal.timeout(5_000),
        })
          .then((r) => r.json() as Promise<{ state?: string; rejection?: unknown }>)
          .catch(() => undefined);
        if (state?.state === "recorded") return;
        if (state?.state === "rejected")
          throw new DrillError(`${eventId} was rejected: ${JSON.stringify(state.rejection)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    const c = scenario.consignments;
    const byConsignment = (type: Disruption["type"], n: number) =>
      scenario.disruptions.find((d) => d.type === type && "consignment" in d && d.consignment === n);
    const slow = (place: string) =>
      scenario.disruptions.reduce((h, d) => (d.type === "slowBorder" && d.place === place ? h + d.extraHours : h), 0);
    const consignmentIds: string[] = [];

    const journey = async (n: number) => {
      const route = c.routes[(n - 1) % c.routes.length];
      const t0 = (n - 1) * c.startEveryHours;
      const consignor = party(c.consignor);
      const carrier = party(c.carrier);
      const exitCustoms = party(route.exit.customs);
      const entryCustoms = party(route.entry.customs);
      const consignee = party(c.consignee);
      const reference = `${scenario.name.toUpperCase()}-RELIEF-${n}`;
      let consignmentId = "";
      let previous: { party: Party; eventId: string } | undefined;
      const step = async (hour: number, p: Party, kind: string, place: string, payload: Record<string, JsonValue>) => {
        await at(hour);
        // Handing over to an organization on the other node: its node checks the rules against the chain, so the
        // milestone before must be recorded first, as a real system would wait to see the release before delivering.
        if (previous && previous.party.node !== p.node) await recorded(previous.party, previous.eventId);
        const eventId = `${scenario.name}-${n}-${kind}-${place}`.replace(/[^A-Za-z0-9._:-]/g, "-");
        const isRegistration = kind === "Registered";
        const body = {
          eventId,
          location: place,
          occurredAt: new Date().toISOString(),
          payload,
          ...(isRegistration
            ? {
                reference,
                consigneeOrganizationId: consignee.id,
                originCountry: route.origin.slice(0, 2),
                destinationCountry: route.destination.slice(0, 2),
                flags: { relief: true, medical: true, coldChain: c.coldChain },
              }
            : { kind }),
        };
        const path = isRegistration ? "/v1/consignments" : `/v1/consignments/${consignmentId}/milestones`;
        const answer = await send(p, path, body);
        previous = { party: p, eventId };
        if (isRegistration) consignmentId = answer.body.consignmentId as string;
        posted.set(eventId, {
          eventId,
          consignment: n,
          kind,
          place,
          node: p.node,
          payloadHash: String(answer.body.payloadHash).toLowerCase(),
          firstTriedAt: answer.firstTriedAt,
          acceptedAt: answer.acceptedAt,
        });
      };
      const route4 = [route.origin, route.exit.place, route.entry.place, route.destination];
      await step(t0, consignor, "Registered", route.origin, {
        packages: c.packages,
        route: route4,
        temperatureRange: c.temperatureRange,
        description: `Relief consignment ${n} of ${c.count}: ${route.name}`,
      });
      consignmentIds[n - 1] = consignmentId;
      await step(t0 + 0.1, carrier, "Dispatched", route.origin, { packages: c.packages, temperatureC: 5 });
      const atExit = t0 + route.legHours;
      await step(atExit, carrier, "ArrivedAtBorder", route.exit.place, { temperatureC: 5.5 });
      await step(atExit + 0.25, exitCustoms, "ExportCleared", route.exit.place, { declaration: `${reference}-EX` });
      await step(atExit + 0.5, carrier, "Departed", route.exit.place, {});
      const atEntry = atExit + 0.75;
      await step(atEntry, entryCustoms, "ArrivedAtBorder", route.entry.place, {});
      const released = atEntry + c.clearanceHours + slow(route.entry.place);
      await step(released, entryCustoms, "Released", route.entry.place, { declaration: `${reference}-IM` });
      const excursion = byConsignment("temperatureExcursion", n);
      const reading = excursion && excursion.type === "temperatureExcursion" ? excursion.temperatureC : 6;
      await step(released + route.legHours / 2, carrier, "Incident", route.destination, {
        readings: [{ temperatureC: 5.8 }, { temperatureC: reading }],
        note: "reefer log on the road",
      });
      await step(released + route.legHours, carrier, "Delivered", route.destination, { packages: c.packages });
      const short = byConsignment("shortDelivery", n);
      const received = c.packages - (short && short.type === "shortDelivery" ? short.missingPackages : 0);
      await step(released + route.legHours + 0.25, consignee, "Received", route.destination, { packages: received });
    };

    const disruption = async (d: Disruption) => {
      if (d.type === "warning") {
        await at(d.atHour);
        const agency = party(d.agency);
        await send(agency, "/v1/warnings", {
          warningId: `${scenario.name}-warning-${d.atHour}`,
          kind: d.kind,
          severity: d.severity,
          countries: d.countries,
          locations: d.locations,
          validFrom: new Date(Date.now() - 1000).toISOString(),
          validUntil: new Date(Date.now() + d.validHours * sph * 1000).toISOString(),
          payload: { headline: d.headline },
        });
        warningPostedAt = Date.now();
        note(`${agency.name} warns: ${d.severity} ${d.kind} over ${[...d.countries, ...d.locations].join(", ")}`);
      } else if (d.type === "keyCompromise") {
        await at(d.atHour);
        const customs = party(d.administration);
        const operator = operators[customs.node];
        const api = new NodeClient(urls[customs.node]);
        const compromisedAt = new Date(Date.now() - d.compromisedHoursBefore * sph * 1000).toISOString();
        // A new key first, so the administration keeps clearing; then the old one is revoked as compromised.
        const rotated = await retryAdmin(() => api.post(`/v1/admin/organizations/${customs.id}/signers`, operator, {}));
        compromiseDeclaredAt = Date.now();
        const revoked = await retryAdmin(() =>
          api.post(`/v1/admin/organizations/${customs.id}/signers/${customs.signer}/revoke`, operator, {
            compromisedAt,
          }),
        );
        if (rotated.status !== 201 || revoked.status !== 200)
          throw new DrillError(`key rotation failed: ${revoked.text}`);
        note(
          `${customs.name}'s signing key found compromised (since h${(hourNow() - d.compromisedHoursBefore).toFixed(1)}): revoked, a new key issued`,
        );
      } else if (d.type === "nodeDown") {
        await at(d.atHour);
        await stopNode(nodes.B!);
        nodes.B = undefined;
        note(`node B goes down for ${d.hours} h`);
        await at(d.atHour + d.hours);
        nodes.B = await runNode(envB);
        note("node B is back");
      }
    };
    let warningPostedAt = 0;
    let compromiseDeclaredAt = 0;

    start = Date.now();
    note(`drill starts: ${c.count} relief consignments on ${c.routes.length} routes`);
    const work: Array<Promise<unknown>> = [];
    if (scenario.emergency) {
      const e = scenario.emergency;
      work.push(
        (async () => {
          await at(e.atHour);
          const declared = await new NodeClient(urls.A).post("/v1/admin/emergencies", operators.A, {
            reference: e.reference,
            countries: e.countries,
            locations: e.locations,
            startsAt: new Date(Date.now() - 1000).toISOString(),
            document: { title: e.title },
          });
          if (declared.status !== 201) throw new DrillError(`declaring the emergency failed: ${declared.text}`);
          note(`governance declares ${e.reference} over ${[...e.countries, ...e.locations].join(", ")}`);
        })(),
      );
    }
    for (const d of scenario.disruptions) work.push(disruption(d));
    for (let n = 1; n <= c.count; n++) work.push(journey(n));
    await Promise.all(work);
    note("every party is done; waiting for both nodes to record everything");

    for (const name of ["A", "B"] as const) await outboxDrained(urls[name], 300_000);
    // Two of the risk monitor's passes after the last milestone, so every cause has been seen.
    await new Promise((r) => setTimeout(r, 3 * Number(riskSettings.RISK_INTERVAL_MS) + 2_000));
    note("drill ends");

    // ---------------------------------------------------------------- the ledger, read back from the chain alone
    const rpcUrl = `http://127.0.0.1:${ports.chain}`;
    const deployment = readDeploymentRecord(envA.DEPLOYMENT_FILE);
    const provider = new JsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
    const histories = await new ChainHistory(provider, deployment).histories();
    provider.destroy();
    const audit = await runAudit({ rpcUrl, deploymentFile: envA.DEPLOYMENT_FILE, target: { all: true } });

    const copies = new Map<string, number>();
    const byPosition = new Map<string, { occurredAt: number; kind: number; location: string; payloadHash: string }>();
    for (const history of histories.values()) {
      for (const m of history) {
        const hash = m.payloadHash.toLowerCase();
        copies.set(hash, (copies.get(hash) ?? 0) + 1);
        byPosition.set(positionOf(m.chain!.blockNumber, m.chain!.logIndex), {
          occurredAt: m.occurredAt,
          kind: m.type === "registration" ? MilestoneKind.Registered : m.kind,
          location: m.location,
          payloadHash: hash,
        });
      }
    }
    const acknowledged = [...posted.values()];
    const ours = new Set(consignmentIds.map((id) => id.toLowerCase()));
    const delivered = [...histories.entries()].filter(
      ([id, h]) => ours.has(id) && h.some((m) => m.type === "milestone" && m.kind === MilestoneKind.Received),
    ).length;
    const failures = audit.consignments.flatMap((c) =>
      c.failures.map((f) => ({
        consignment: consignmentIds.findIndex((id) => id.toLowerCase() === c.consignmentId.toLowerCase()) + 1 || null,
        index: f.index,
        code: f.code,
        message: f.message,
      })),
    );

    // Clearance per border post, from the chain: arrival to release (entry) or to export clearance (exit).
    const clearance = new Map<string, { direction: "exit" | "entry"; hours: number[] }>();
    for (const [id, history] of histories) {
      if (!ours.has(id)) continue;
      for (let i = 0; i < history.length; i++) {
        const m = history[i];
        if (m.type !== "milestone" || m.kind !== MilestoneKind.ArrivedAtBorder) continue;
        const end = history
          .slice(i + 1)
          .find(
            (x) =>
              x.location === m.location &&
              (x.kind === MilestoneKind.Released || x.kind === MilestoneKind.ExportCleared),
          );
        if (!end) continue;
        const entry = clearance.get(m.location) ?? {
          direction: end.kind === MilestoneKind.Released ? ("entry" as const) : ("exit" as const),
          hours: [],
        };
        entry.hours.push((end.occurredAt - m.occurredAt) / sph);
        clearance.set(m.location, entry);
      }
    }
    const underEmergency = (place: string) =>
      scenario.emergency !== undefined &&
      (scenario.emergency.countries.includes(place.slice(0, 2)) || scenario.emergency.locations.includes(place));

    // Alerts as node A (the consignor's) raised them, with the time from each cause.
    const alertResponse = await new NodeClient(urls.A).get("/v1/alerts?limit=1000", operators.A);
    const raw = (alertResponse.body.alerts ?? []) as Array<{
      alertId: string;
      factor: string;
      consignmentId: string;
      raisedAt: string;
      detail: string;
      evidence: string[];
      cause: string;
    }>;
    const numberOf = (id: string) => {
      const i = consignmentIds.findIndex((x) => x.toLowerCase() === id.toLowerCase());
      return i >= 0 ? i + 1 : null;
    };
    const acceptedAtOf = (position: string | undefined) => {
      const hash = position ? byPosition.get(position)?.payloadHash : undefined;
      return acknowledged.find((e) => e.payloadHash === hash)?.acceptedAt ?? null;
    };
    const alerts: DrillAlert[] = raw.map((a) => {
      let causeAt: number | null = null;
      let detail = a.detail;
      if (a.factor === "DWELL_OVER_TARGET") {
        const arrival = byPosition.get(a.evidence[0]);
        const place = arrival?.location ?? "";
        const target = underEmergency(place)
          ? scenario.targets.emergencyReleaseHours
          : scenario.targets.reliefReleaseHours;
        causeAt = arrival ? arrival.occurredAt * 1000 + target * sph * 1000 : null;
        // The node's own text is in the compressed real hours; the report speaks in scenario hours.
        detail = `waiting at ${place} past the ${target} h target`;
      } else if (a.factor === "WARNING_ON_ROUTE") {
        // A consignment registered after the warning is on its route from its registration.
        const n = numberOf(a.consignmentId);
        const registeredAt = acknowledged.find((e) => e.consignment === n && e.kind === "Registered")?.acceptedAt ?? 0;
        causeAt = warningPostedAt ? Math.max(warningPostedAt, registeredAt) : null;
      } else if (a.factor === "COMPROMISED_SIGNER") {
        causeAt = compromiseDeclaredAt || null;
      } else if (["TEMPERATURE_EXCURSION", "QUANTITY_MISMATCH", "HOLD_HISTORY", "OFF_ROUTE"].includes(a.factor)) {
        causeAt = acceptedAtOf(a.evidence.at(-1));
      }
      const raisedAt = Date.parse(a.raisedAt);
      return {
        alertId: a.alertId,
        factor: a.factor,
        consignment: numberOf(a.consignmentId),
        raisedAt: a.raisedAt,
        detail,
        cause: a.cause,
        causeAt,
        secondsFromCause: causeAt === null ? null : Math.max(0, Math.round((raisedAt - causeAt) / 100) / 10),
      };
    });

    return {
      scenario,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      consignments: {
        total: c.count,
        registered: consignmentIds.filter(Boolean).length,
        delivered,
        ids: consignmentIds,
      },
      events: {
        acknowledged: acknowledged.length,
        recorded: acknowledged.filter((e) => copies.get(e.payloadHash) === 1).length,
        lost: acknowledged.filter((e) => !copies.has(e.payloadHash)).length,
        duplicates: acknowledged.filter((e) => (copies.get(e.payloadHash) ?? 0) > 1).length,
      },
      audit: {
        consignments: audit.consignments.length,
        milestones: audit.milestonesChecked,
        unverifiable: failures.filter((f) => f.code !== "SIGNER_COMPROMISED").length,
        signedAfterCompromise: failures.filter((f) => f.code === "SIGNER_COMPROMISED").length,
        failures,
      },
      clearance: [...clearance.entries()]
        .map(([place, { direction, hours }]) => {
          const target =
            direction === "entry" && underEmergency(place)
              ? scenario.targets.emergencyReleaseHours
              : scenario.targets.reliefReleaseHours;
          const sorted = [...hours].sort((x, y) => x - y);
          return {
            place,
            direction,
            passages: hours.length,
            hours: sorted.map((h) => Math.round(h * 100) / 100),
            medianHours: Math.round(sorted[Math.floor((sorted.length - 1) / 2)] * 100) / 100,
            maxHours: Math.round(sorted[sorted.length - 1] * 100) / 100,
            targetHours: target,
            withinTarget: hours.filter((h) => h <= target).length,
          };
        })
        .sort((x, y) =>
          x.direction === y.direction ? x.place.localeCompare(y.place) : x.direction === "exit" ? -1 : 1,
        ),
      alerts,
      timeline,
      ...(options.keepData ? { kept: { dataDir: dirs.A, deploymentFile: envA.DEPLOYMENT_FILE } } : {}),
    };
  } finally {
    aborted = true;
    await stopNodes();
    if (!options.keepData) for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
}

export class DrillError extends Error {}

async function retryAdmin(call: () => ReturnType<NodeClient["post"]>): ReturnType<NodeClient["post"]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await call();
      if (response.status !== 503 || attempt > 100) return response;
    } catch (error) {
      if (attempt > 100) throw error;
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}
