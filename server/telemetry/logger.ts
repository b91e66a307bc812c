/**
 * pino JSON logs. Anything that could carry a secret is redacted, whatever path it arrives by.
 */
import pino from "pino";
import type { Logger } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "apiKey",
  "*.apiKey",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "privateKey",
  "*.privateKey",
  "passphrase",
  "*.passphrase",
  "relayerKey",
  "governorKey",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: { service: "consignment-ledger" } },
    destination,
  );
}
