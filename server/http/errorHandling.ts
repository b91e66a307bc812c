/**
 * The one place that turns errors into responses: `{ error: { code, message, details } }`, with the status from
 * ERROR_CODES. Route handlers contain no try/catch.
 */
import type { Duplex } from "node:stream";
import type { NextFunction, Request, Response } from "express";
import { ZodError } from "zod";
import type { Logger } from "pino";
import { ERROR_CODES, LedgerError } from "../errors";
import type { ErrorCode } from "../errors";
import type { LedgerMetrics } from "../telemetry/metrics";

/** body-parser's error types, as it reports them. */
const BODY_PARSER_CODES: Record<string, ErrorCode> = {
  "entity.parse.failed": "MALFORMED_JSON",
  "entity.too.large": "PAYLOAD_TOO_LARGE",
  "encoding.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "charset.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "entity.verify.failed": "INVALID_REQUEST",
  "request.aborted": "INVALID_REQUEST",
  "request.size.invalid": "INVALID_REQUEST",
  "stream.encoding.set": "INVALID_REQUEST",
  "parameters.too.many": "PAYLOAD_TOO_LARGE",
};

export function toLedgerError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  if (error instanceof ZodError) {
    return new LedgerError(
      "INVALID_REQUEST",
      "the request does not match the schema",
      error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
    );
  }
  const type = (error as { type?: unknown })?.type;
  if (typeof type === "string" && type in BODY_PARSER_CODES) {
    const code = BODY_PARSER_CODES[type];
    return new LedgerError(
      code,
      code === "MALFORMED_JSON" ? "the body is not valid JSON" : (error as Error).message,
      undefined,
      { cause: error },
    );
  }
  // A URI that cannot be decoded is the caller's error, not ours.
  if (error instanceof URIError)
    return new LedgerError("INVALID_REQUEST", "the path is not valid", undefined, { cause: error });
  return new LedgerError("INTERNAL", "internal error", undefined, { cause: error });
}

export function errorHandler(logger: Logger, metrics: LedgerMetrics) {
  // Express recognizes error middleware by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const coded = toLedgerError(error);
    metrics.httpErrors.inc({ code: coded.code });
    if (coded.code === "INTERNAL") logger.error({ err: error, method: req.method, path: req.path }, "unhandled error");
    else if (coded.status >= 500) logger.warn({ err: error, code: coded.code, path: req.path }, coded.message);
    if (res.headersSent) return;
    res.status(ERROR_CODES[coded.code].status).json({
      error: {
        code: coded.code,
        message: coded.message,
        ...(coded.details !== undefined ? { details: coded.details } : {}),
      },
    });
  };
}

/**
 * Requests Node's HTTP parser refuses before express sees them (oversized headers, broken HTTP) get the same coded
 * JSON body as every other error, instead of Node's bare status line.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const coded =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new LedgerError("HEADERS_TOO_LARGE", "the request's headers are over 16 KiB")
      : new LedgerError("MALFORMED_HTTP", "the request is not valid HTTP/1.1");
  const body = JSON.stringify({ error: { code: coded.code, message: coded.message } });
  const reason = coded.code === "HEADERS_TOO_LARGE" ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${coded.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
