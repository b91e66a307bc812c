/**
 * Bearer API keys. Every key is bound to one organization (0: the node operator) and one role; a key never acts
 * for another organization.
 */
import type { NextFunction, Request, Response } from "express";
import { LedgerError } from "../errors";
import { parseApiKeyToken, secretMatches } from "../domain/apiKeys";
import type { ApiKeyRole } from "../domain/apiKeys";
import type { LedgerStore } from "../storage/ledgerStore";

export interface Caller {
  keyId: string;
  organizationId: number;
  role: ApiKeyRole;
}

export const OPERATOR_ORGANIZATION = 0;

declare module "express-serve-static-core" {
  interface Request {
    caller?: Caller;
  }
}

export function authenticate(store: LedgerStore) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    if (!header) throw new LedgerError("UNAUTHENTICATED", "send an API key as: Authorization: Bearer clk_...");
    const [scheme, token, ...rest] = header.split(" ");
    if (scheme !== "Bearer" || !token || rest.length) {
      throw new LedgerError("UNAUTHENTICATED", "the Authorization scheme must be Bearer");
    }
    const parsed = parseApiKeyToken(token);
    const record = parsed ? await store.apiKey(parsed.keyId) : undefined;
    if (!parsed || !record || !secretMatches(parsed.secret, record.secretHash)) {
      throw new LedgerError("UNAUTHENTICATED", "unknown API key");
    }
    if (record.revokedAt) throw new LedgerError("UNAUTHENTICATED", "this API key was revoked");
    req.caller = { keyId: record.keyId, organizationId: record.organizationId, role: record.role };
    next();
  };
}

/** Reads the API key when one is sent; without one the request goes on as the public's. */
export function optionalAuthentication(store: LedgerStore) {
  const auth = authenticate(store);
  return (req: Request, res: Response, next: NextFunction) =>
    req.headers.authorization ? auth(req, res, next) : next();
}

/** The caller, who must hold one of `roles`; the node operator's admin key passes every role check. */
export function callerWithRole(req: Request, ...roles: ApiKeyRole[]): Caller {
  const caller = req.caller;
  if (!caller) throw new LedgerError("UNAUTHENTICATED", "no API key");
  if (roles.includes(caller.role) || (caller.role === "admin" && caller.organizationId === OPERATOR_ORGANIZATION)) {
    return caller;
  }
  throw new LedgerError("FORBIDDEN", `this needs an API key with role ${roles.join(" or ")}`);
}

/** Acting for a member organization: its own keys, or the node operator naming it. */
export function organizationOf(caller: Caller, requested?: number): number {
  if (caller.organizationId === OPERATOR_ORGANIZATION) {
    if (requested === undefined)
      throw new LedgerError("FORBIDDEN", "the node operator's key must name the organization it acts for");
    return requested;
  }
  if (requested !== undefined && requested !== caller.organizationId) {
    throw new LedgerError(
      "FORBIDDEN",
      `this API key belongs to organization ${caller.organizationId}, not ${requested}`,
    );
  }
  return caller.organizationId;
}
