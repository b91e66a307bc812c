/**
 * A milestone document's hash: keccak256 of its RFC 8785 (JCS) canonical JSON. The chain stores only this hash.
 */
import canonicalize from "canonicalize";
import { keccak256, toUtf8Bytes } from "ethers";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class NotCanonicalizableError extends Error {
  readonly code = "DOCUMENT_NOT_CANONICALIZABLE";
  constructor(cause: unknown) {
    super("the document is not plain JSON (RFC 8785 needs finite numbers, strings, booleans, null, arrays, objects)", {
      cause,
    });
    this.name = "NotCanonicalizableError";
  }
}

export function canonicalJsonOf(document: JsonValue): string {
  let canonical: string | undefined;
  try {
    canonical = canonicalize(document);
    // canonicalize prints `undefined` for functions and undefined members instead of failing; JSON.parse catches it.
    if (canonical === undefined) throw new TypeError("nothing to canonicalize");
    JSON.parse(canonical);
  } catch (cause) {
    throw new NotCanonicalizableError(cause);
  }
  return canonical;
}

export function payloadHashOf(document: JsonValue): string {
  return keccak256(toUtf8Bytes(canonicalJsonOf(document)));
}
