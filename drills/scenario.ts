/**
 * A drill scenario, as a data file validated by zod: who takes part (administrations, agencies, aid organizations,
 * carriers, each on node A or B), the relief consignments and their routes, the release targets, an optional
 * emergency and the disruptions. Times are in scenario hours; `secondsPerHour` compresses them for the run.
 * Names referenced across the file must exist; an error names the path and what is wrong.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { WARNING_KINDS, WARNING_SEVERITIES } from "../server/domain/emergencies";
import { countrySchema, unLocodeSchema } from "../server/domain/milestoneRequests";

const hours = z.number().min(0).max(1000);
const name = z.string().min(1).max(120);
const party = z.strictObject({ name, country: countrySchema, node: z.enum(["A", "B"]) });

const post = z.strictObject({ place: unLocodeSchema, customs: name });

const route = z.strictObject({
  name,
  origin: unLocodeSchema,
  exit: post,
  entry: post,
  destination: unLocodeSchema,
  /** Hours on the road from origin to the border, and from the border to the destination. */
  legHours: hours.default(1),
});

const disruption = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("warning"),
    atHour: hours,
    agency: name,
    kind: z.enum(WARNING_KINDS),
    severity: z.enum(WARNING_SEVERITIES),
    countries: z.array(countrySchema).default([]),
    locations: z.array(unLocodeSchema).default([]),
    validHours: hours.refine((h) => h > 0, "must be more than 0"),
    headline: z.string().default(""),
  }),
  z.strictObject({ type: z.literal("slowBorder"), place: unLocodeSchema, extraHours: hours }),
  z.strictObject({
    type: z.literal("keyCompromise"),
    atHour: hours,
    administration: name,
    /** How long before its discovery the key is believed to have been compromised. */
    compromisedHoursBefore: hours,
  }),
  z.strictObject({ type: z.literal("nodeDown"), node: z.literal("B"), atHour: hours, hours }),
  z.strictObject({
    type: z.literal("temperatureExcursion"),
    consignment: z.int().min(1),
    temperatureC: z.number(),
  }),
  z.strictObject({ type: z.literal("shortDelivery"), consignment: z.int().min(1), missingPackages: z.int().min(1) }),
]);
export type Disruption = z.infer<typeof disruption>;

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and dashes"),
    title: z.string().min(1),
    description: z.string().default(""),
    secondsPerHour: z.number().min(0.5).max(3600).default(2),
    targets: z.strictObject({
      reliefReleaseHours: hours.refine((h) => h > 0, "must be more than 0"),
      emergencyReleaseHours: hours.refine((h) => h > 0, "must be more than 0"),
    }),
    administrations: z.array(party).min(1),
    agencies: z.array(party).default([]),
    aidOrganizations: z.array(party).min(1),
    carriers: z.array(party).min(1),
    emergency: z
      .strictObject({
        reference: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/),
        countries: z.array(countrySchema).default([]),
        locations: z.array(unLocodeSchema).default([]),
        atHour: hours,
        title: z.string().default(""),
      })
      .optional(),
    consignments: z.strictObject({
      count: z.int().min(1).max(200),
      consignor: name,
      consignee: name,
      carrier: name,
      startEveryHours: hours.default(0.5),
      packages: z.int().min(1).default(100),
      coldChain: z.boolean().default(false),
      temperatureRange: z.tuple([z.number(), z.number()]).default([2, 8]),
      /** Hours customs usually takes from arrival to release at the entry post. */
      clearanceHours: hours.default(1),
      routes: z.array(route).min(1),
    }),
    disruptions: z.array(disruption).default([]),
  })
  .superRefine((s, ctx) => {
    const names = (list: Array<{ name: string }>) => new Set(list.map((p) => p.name));
    const refs: Array<[string, Set<string>, Array<string | number>, string]> = [
      [s.consignments.consignor, names(s.aidOrganizations), ["consignments", "consignor"], "aid organization"],
      [s.consignments.consignee, names(s.aidOrganizations), ["consignments", "consignee"], "aid organization"],
      [s.consignments.carrier, names(s.carriers), ["consignments", "carrier"], "carrier"],
    ];
    s.consignments.routes.forEach((r, i) => {
      refs.push([
        r.exit.customs,
        names(s.administrations),
        ["consignments", "routes", i, "exit", "customs"],
        "administration",
      ]);
      refs.push([
        r.entry.customs,
        names(s.administrations),
        ["consignments", "routes", i, "entry", "customs"],
        "administration",
      ]);
    });
    s.disruptions.forEach((d, i) => {
      if (d.type === "warning") refs.push([d.agency, names(s.agencies), ["disruptions", i, "agency"], "agency"]);
      if (d.type === "keyCompromise") {
        refs.push([d.administration, names(s.administrations), ["disruptions", i, "administration"], "administration"]);
      }
      if ((d.type === "temperatureExcursion" || d.type === "shortDelivery") && d.consignment > s.consignments.count) {
        ctx.addIssue({
          code: "custom",
          path: ["disruptions", i, "consignment"],
          message: `there are only ${s.consignments.count} consignments`,
        });
      }
      if (d.type === "warning" && d.countries.length + d.locations.length === 0) {
        ctx.addIssue({ code: "custom", path: ["disruptions", i], message: "name at least one country or location" });
      }
    });
    for (const [value, known, path, what] of refs) {
      if (!known.has(value)) ctx.addIssue({ code: "custom", path, message: `no ${what} named "${value}"` });
    }
  });
export type Scenario = z.infer<typeof scenarioSchema>;

export class ScenarioError extends Error {}

/** Reads and validates a scenario file; a bad one throws with every problem, each with its path. */
export function loadScenario(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ScenarioError(`${file}: ${(error as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new ScenarioError(`${file} is not a valid scenario:\n${problems.join("\n")}`);
  }
  return parsed.data;
}
