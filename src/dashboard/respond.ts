/**
 * Responses and the errors that know their HTTP status. The API answers every failure with
 * `{"error": "<sentence>"}`, the same sentence the CLI prints after `error: `; the exit codes map
 * to statuses (2 → 400; 1 → 404 for "no such job", 409 for a conflict).
 */
import { CorruptionError, OperationError, QueueError, UsageError } from "../errors.ts";

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * JSON text with `<`, `>` and `&` written as \u escapes: the same value to a JSON parser, and no
 * markup to anything that mistakes the response for HTML.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(safeJson(value) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The status an error is answered with: the CLI's exit code, translated. */
export function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (e instanceof UsageError) return 400;
  if (e instanceof CorruptionError) return 500;
  if (e instanceof OperationError) return /: no such job$/.test(e.message) ? 404 : 409;
  if (e instanceof QueueError) return e.exitCode === 2 ? 400 : 409;
  return 500;
}

export function errorResponse(e: unknown): Response {
  const status = statusOf(e);
  const known = e instanceof HttpError || e instanceof QueueError;
  const message = known ? (e as Error).message : `Internal error: ${(e as Error)?.message ?? String(e)}`;
  return json({ error: message }, status, e instanceof HttpError ? e.headers : {});
}

export function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, ...headers } });
}
