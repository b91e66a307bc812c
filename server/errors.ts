/**
 * The node's coded errors and the one table that maps each code to an HTTP status. Lower layers translate foreign
 * errors (LevelDB, ethers, zod) into a LedgerError at their boundary and keep the original as `cause`.
 */

export const ERROR_CODES = {
  // 400: shape
  INVALID_REQUEST: {
    status: 400,
    description: "The body, path or query does not match the schema; details lists zod issues with paths.",
  },
  INVALID_QUERY: { status: 400, description: "A query parameter is unknown or invalid; the message names it." },
  INVALID_CURSOR: { status: 400, description: "The paging cursor is not this node's, or belongs to other filters." },
  MALFORMED_JSON: { status: 400, description: "The body is not valid JSON." },
  DOCUMENT_NOT_CANONICALIZABLE: { status: 400, description: "The payload cannot be put in RFC 8785 canonical form." },
  INVALID_SIGNATURE: { status: 400, description: "A client-supplied signature is malformed." },
  MALFORMED_HTTP: { status: 400, description: "The request is not valid HTTP/1.1 (answered before any route)." },
  // 401 / 403: auth
  UNAUTHENTICATED: { status: 401, description: "No API key, a wrong scheme, or an unknown or revoked key." },
  FORBIDDEN: { status: 403, description: "The API key's role or organization may not do this." },
  SIGNER_NOT_OF_ORGANIZATION: {
    status: 403,
    description: "A client-signed milestone is signed by a key of another organization.",
  },
  // 404
  NOT_FOUND: { status: 404, description: "No such route." },
  EVENT_NOT_FOUND: { status: 404, description: "No event with this id for this organization." },
  ORGANIZATION_NOT_FOUND: { status: 404, description: "No such organization." },
  API_KEY_NOT_FOUND: { status: 404, description: "No such API key." },
  DOCUMENT_NOT_AVAILABLE: {
    status: 404,
    description: "This node does not hold the document (yet): it is fetched from the posting node's peer endpoint.",
  },
  SUBSCRIPTION_NOT_FOUND: { status: 404, description: "No such subscription for this organization." },
  ALERT_NOT_FOUND: { status: 404, description: "No such alert, or not one this organization may see." },
  WARNING_NOT_FOUND: { status: 404, description: "No warning with this id from this organization." },
  EMERGENCY_NOT_FOUND: { status: 404, description: "No emergency with this reference on chain." },
  CONSIGNMENT_NOT_FOUND: { status: 404, description: "The chain has no consignment with this id." },
  // 409
  IDEMPOTENCY_CONFLICT: { status: 409, description: "This eventId was already used with a different body." },
  STALE_HEAD: {
    status: 409,
    description: "A client-signed milestone's prevHash is not the consignment's current head.",
  },
  ORGANIZATION_NOT_HOSTED: { status: 409, description: "The organization has no signer key on this node." },
  // 413 / 415
  PAYLOAD_TOO_LARGE: { status: 413, description: "The body is over the limit." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The body must be application/json." },
  // 422: rule violations, named like the contract's custom errors
  OCCURRED_AT_IN_FUTURE: { status: 422, description: "occurredAt is later than now plus the allowed clock skew." },
  OCCURRED_AT_TOO_OLD: { status: 422, description: "occurredAt is older than the allowed event age." },
  UNKNOWN_SIGNER: { status: 422, description: "Contract rule UnknownSigner." },
  SIGNER_KEY_REVOKED: { status: 422, description: "Contract rule SignerKeyRevoked." },
  SIGNER_ORGANIZATION_INACTIVE: { status: 422, description: "Contract rule SignerOrganizationInactive." },
  SIGNATURE_MISMATCH: {
    status: 422,
    description: "Contract rule SignatureMismatch (another EIP-712 domain or other fields).",
  },
  MALFORMED_SIGNATURE: { status: 422, description: "Contract rule MalformedSignature." },
  INVALID_MILESTONE_KIND: { status: 422, description: "Contract rule InvalidMilestoneKind." },
  KIND_NOT_ALLOWED: { status: 422, description: "Contract rule KindNotAllowed." },
  OUTSIDE_JURISDICTION: { status: 422, description: "Contract rule OutsideJurisdiction." },
  UNKNOWN_CONSIGNMENT: { status: 422, description: "Contract rule UnknownConsignment." },
  NOT_CONSIGNMENT_PARTY: { status: 422, description: "Contract rule NotConsignmentParty." },
  CONSIGNMENT_CLOSED: { status: 422, description: "Contract rule ConsignmentClosed." },
  IMPORT_RELEASE_REQUIRED: { status: 422, description: "Contract rule ImportReleaseRequired." },
  UNKNOWN_CORRECTED_MILESTONE: { status: 422, description: "Contract rule UnknownCorrectedMilestone." },
  CONSIGNMENT_ALREADY_REGISTERED: { status: 422, description: "Contract rule ConsignmentAlreadyRegistered." },
  CONSIGNOR_MISMATCH: { status: 422, description: "Contract rule ConsignorMismatch." },
  INVALID_CONSIGNMENT_FLAGS: { status: 422, description: "Contract rule InvalidConsignmentFlags." },
  UNKNOWN_CONSIGNEE: { status: 422, description: "Contract rule UnknownConsignee." },
  INVALID_COUNTRY_CODE: { status: 422, description: "Contract rule InvalidCountryCode." },
  ENFORCED_PAUSE: { status: 422, description: "Contract rule EnforcedPause: the ledger is paused by governance." },
  INVALID_ORGANIZATION: { status: 422, description: "The organization's kind or country is not valid." },
  INVALID_EMERGENCY: {
    status: 422,
    description: "The contract refused the declaration (already declared, already ended); details name its rule.",
  },
  NOT_AN_AGENCY: { status: 422, description: "Contract rule NotAnAgency: only Agency organizations post warnings." },
  WARNING_ALREADY_PUBLISHED: { status: 422, description: "Contract rule WarningAlreadyPublished." },
  INVALID_WARNING_CLASS: { status: 422, description: "Contract rule InvalidWarningClass." },
  EMPTY_AREA: { status: 422, description: "Contract rule EmptyArea." },
  INVALID_WINDOW: { status: 422, description: "Contract rule InvalidWindow." },
  GOVERNANCE_NOT_CONFIGURED: {
    status: 422,
    description: "This node holds no governance key, so it cannot change the consortium.",
  },
  // 429
  RATE_LIMITED: { status: 429, description: "Too many requests." },
  HEADERS_TOO_LARGE: { status: 431, description: "The request's headers are over the limit (16 KiB in all)." },
  // 503
  STORE_UNAVAILABLE: { status: 503, description: "The store could not be read or written; nothing was accepted." },
  CHAIN_UNAVAILABLE: { status: 503, description: "The chain did not answer; nothing was accepted." },
  SHUTTING_DOWN: { status: 503, description: "The node is shutting down; nothing was accepted." },
  // 500 only for bugs
  INTERNAL: { status: 500, description: "A bug. Please report it with the request id." },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LedgerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LedgerError";
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** "KindNotAllowed" -> "KIND_NOT_ALLOWED": the code under which a contract rule is reported. */
export function codeOfContractError(contractError: string): ErrorCode {
  const code = contractError.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return (code in ERROR_CODES ? code : "INTERNAL") as ErrorCode;
}
