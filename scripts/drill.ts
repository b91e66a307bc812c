/**
 * `npm run drill -- --scenario <name|file> [--out DIR]`: runs a simulation exercise against a fresh local chain and
 * two real nodes, and writes its report (Markdown and SVG charts) to DIR (default drill-reports/<name>-<time>).
 * Exits 1 when anything acknowledged was lost, duplicated or unverifiable, 2 on a usage or scenario error.
 */
import { mkdirSync, existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ScenarioError, loadScenario } from "../drills/scenario";
import { runDrill } from "../drills/drillRunner";
import { drillReport } from "../drills/drillReport";

const USAGE = "usage: npm run drill -- --scenario <name|file.json> [--out DIR] [--keep-data]\n";

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { scenario: { type: "string" }, out: { type: "string" }, "keep-data": { type: "boolean" } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`drill: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!values.scenario) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const file = existsSync(values.scenario)
    ? values.scenario
    : join(__dirname, "..", "drills", "scenarios", `${values.scenario}.json`);
  let scenario;
  try {
    scenario = loadScenario(file);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    process.stderr.write(`drill: ${error.message}\n`);
    process.exit(2);
  }
  const out = resolve(
    values.out ?? join("drill-reports", `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, "-")}`),
  );
  console.log(`drill ${scenario.name}: ${scenario.title}`);
  // Ctrl-C stops both nodes (and the chain) before the process goes.
  const interrupted = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupted.abort());
  const result = await runDrill(scenario, {
    log: (line) => console.log(line),
    keepData: values["keep-data"],
    signal: interrupted.signal,
  });
  mkdirSync(out, { recursive: true });
  for (const [name, content] of Object.entries(drillReport(result))) writeFileSync(join(out, name), content);
  const bad = result.events.lost + result.events.duplicates + result.audit.unverifiable;
  console.log(
    `delivered ${result.consignments.delivered} of ${result.consignments.total}; ${result.alerts.length} alerts; ` +
      `acknowledged ${result.events.acknowledged}, recorded ${result.events.recorded}; lost or unverifiable ${bad}`,
  );
  console.log(`report: ${join(out, "report.md")}`);
  process.exitCode = bad === 0 ? 0 : 1;
}

main().then(
  // Parties still retrying when a drill fails must not keep the process alive.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`drill: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
