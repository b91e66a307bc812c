/**
 * The operator's command line for a running node: it calls the node's admin API.
 *   npm run admin -- <command> [options]
 * LEDGER_URL (default http://127.0.0.1:8787) names the node; LEDGER_API_KEY the admin key (default: the bootstrap
 * key in DATA_DIR/bootstrap-admin-key of a local node).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const USAGE = `usage: npm run admin -- <command> [options]

  org:host      --name NAME (--kind Customs|AidOrganization|Carrier|Agency --country CC [--admin ADDRESS] | --id ID)
                register an organization on chain (or host one already registered) and create its signer key
  org:list      list the organizations hosted on this node
  key:rotate    --org ID [--revoke-previous]          create a new signer key; optionally revoke the old one
  key:revoke    --org ID --address ADDRESS [--compromised-at ISO-TIME]
  apikey:issue  --org ID --role submitter|reader|admin --label TEXT    (--org 0: the node operator, admin only)
  apikey:list
  apikey:revoke --key-id KEYID
`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      kind: { type: "string" },
      country: { type: "string" },
      admin: { type: "string" },
      id: { type: "string" },
      org: { type: "string" },
      "revoke-previous": { type: "boolean" },
      address: { type: "string" },
      "compromised-at": { type: "string" },
      role: { type: "string" },
      label: { type: "string" },
      "key-id": { type: "string" },
    },
    strict: true,
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  switch (command) {
    case "org:host":
      return call("POST", "/v1/admin/organizations", {
        name: values.name,
        kind: values.kind,
        country: values.country,
        admin: values.admin,
        organizationId: num(values.id),
      });
    case "org:list":
      return call("GET", "/v1/admin/organizations");
    case "key:rotate":
      return call("POST", `/v1/admin/organizations/${values.org}/signers`, {
        revokePrevious: values["revoke-previous"] ?? false,
      });
    case "key:revoke":
      return call("POST", `/v1/admin/organizations/${values.org}/signers/${values.address}/revoke`, {
        compromisedAt: values["compromised-at"],
      });
    case "apikey:issue":
      return call("POST", "/v1/admin/api-keys", {
        organizationId: num(values.org),
        role: values.role,
        label: values.label,
      });
    case "apikey:list":
      return call("GET", "/v1/admin/api-keys");
    case "apikey:revoke":
      return call("DELETE", `/v1/admin/api-keys/${values["key-id"]}`);
    default:
      process.stderr.write(USAGE);
      process.exitCode = 2;
  }
}

function adminKey(): string {
  if (process.env.LEDGER_API_KEY) return process.env.LEDGER_API_KEY;
  const file = join(process.env.DATA_DIR ?? ".data", "bootstrap-admin-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  throw new Error(`set LEDGER_API_KEY (no ${file} to read the bootstrap key from)`);
}

async function call(method: string, path: string, body?: object): Promise<void> {
  const url = (process.env.LEDGER_URL ?? "http://127.0.0.1:8787") + path;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${adminKey()}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  process.stdout.write(text.startsWith("{") ? JSON.stringify(JSON.parse(text), null, 2) + "\n" : text + "\n");
  if (!response.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`admin: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
