/**
 * API keys: `clk_<keyId>_<secret>`. Only a SHA-256 of the secret is stored (the secret has 256 bits of entropy, so
 * a slow hash adds nothing), and it is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type ApiKeyRole = "submitter" | "reader" | "admin";
export const API_KEY_ROLES: readonly ApiKeyRole[] = ["submitter", "reader", "admin"];

const TOKEN_PATTERN = /^clk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedApiKey {
  keyId: string;
  token: string;
  secretHash: string;
}

export function issueApiKeyToken(): IssuedApiKey {
  const keyId = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { keyId, token: `clk_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseApiKeyToken(token: string): { keyId: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { keyId: match[1], secret: match[2] } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
