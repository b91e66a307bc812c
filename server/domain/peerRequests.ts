/**
 * How one node proves to another which organization it asks for: an EIP-712 `PeerRequest` over the method, path
 * and time, signed by an active signer key of the asking organization, in the ledger's own domain (so it is
 * useless on another chain or deployment). The chain is the only directory either side needs: no shared secret is
 * exchanged, and revoking the key on chain revokes the credential.
 *
 *   Authorization: LedgerPeer <base64url of {"organizationId":7,"signer":"0x…","issuedAt":1764300000,"signature":"0x…"}>
 */
import { TypedDataEncoder, recoverAddress } from "ethers";
import type { TypedDataField } from "ethers";
import { z } from "zod";
import { LedgerError } from "../errors";
import { ledgerDomain } from "./eip712";
import type { LedgerDeployment, TypedDataSigner } from "./eip712";

export const PEER_SCHEME = "LedgerPeer";
/** How far a peer request's time may be from the receiver's clock. */
export const PEER_REQUEST_MAX_SKEW_SECONDS = 120;

export const PEER_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  PeerRequest: [
    { name: "organizationId", type: "uint32" },
    { name: "method", type: "string" },
    { name: "path", type: "string" },
    { name: "issuedAt", type: "uint64" },
  ],
};

export interface PeerRequest {
  organizationId: number;
  method: string;
  path: string;
  issuedAt: number;
}

const credentialSchema = z.strictObject({
  organizationId: z.int().min(1).max(4_294_967_295),
  signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  issuedAt: z.int().min(0),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});

export function peerRequestDigest(deployment: LedgerDeployment, request: PeerRequest): string {
  return TypedDataEncoder.hash(ledgerDomain(deployment), PEER_REQUEST_TYPES, { ...request });
}

export async function peerAuthorization(
  signer: TypedDataSigner,
  deployment: LedgerDeployment,
  request: PeerRequest,
): Promise<string> {
  const signature = await signer.signTypedData(ledgerDomain(deployment), PEER_REQUEST_TYPES, { ...request });
  const credential = {
    organizationId: request.organizationId,
    signer: await signer.getAddress(),
    issuedAt: request.issuedAt,
    signature,
  };
  return `${PEER_SCHEME} ${Buffer.from(JSON.stringify(credential)).toString("base64url")}`;
}

/**
 * Checks a peer credential's form, freshness and signature; returns the organization it claims and the key that
 * signed. Whether that key belongs to that organization, and is still active, is the caller's check against the
 * chain's directory.
 */
export function verifyPeerAuthorization(
  header: string,
  deployment: LedgerDeployment,
  method: string,
  path: string,
  nowSeconds: number,
): { organizationId: number; signer: string } {
  const [scheme, token, ...rest] = header.split(" ");
  if (scheme !== PEER_SCHEME || !token || rest.length) {
    throw new LedgerError("UNAUTHENTICATED", `peer requests use: Authorization: ${PEER_SCHEME} <credential>`);
  }
  let credential: z.infer<typeof credentialSchema>;
  try {
    credential = credentialSchema.parse(JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
  } catch {
    throw new LedgerError("UNAUTHENTICATED", "the peer credential is malformed");
  }
  if (Math.abs(nowSeconds - credential.issuedAt) > PEER_REQUEST_MAX_SKEW_SECONDS) {
    throw new LedgerError("UNAUTHENTICATED", "the peer credential is stale or from the future; check the clocks");
  }
  const digest = peerRequestDigest(deployment, {
    organizationId: credential.organizationId,
    method: method.toUpperCase(),
    path,
    issuedAt: credential.issuedAt,
  });
  let recovered: string;
  try {
    recovered = recoverAddress(digest, credential.signature);
  } catch {
    throw new LedgerError("UNAUTHENTICATED", "the peer credential's signature is malformed");
  }
  if (recovered.toLowerCase() !== credential.signer.toLowerCase()) {
    throw new LedgerError(
      "UNAUTHENTICATED",
      "the peer credential is not signed for this request, chain and contract by its claimed key",
    );
  }
  return { organizationId: credential.organizationId, signer: recovered.toLowerCase() };
}
