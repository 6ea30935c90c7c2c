/**
 * Responses and the errors that know their HTTP status. The API answers every failure with
 * `{"error": "<sentence>"}`, the same sentence the CLI prints after `error: `. An error's kind is
 * its class, never its text: STATUSES maps each class to a status (bad input 400, not found 404,
 * a state or id that refuses the change 409, a damaged store 500).
 */
import {
  CorruptionError,
  DependencyNotFoundError,
  DuplicateJobError,
  JobNotFoundError,
  JobStateError,
  OperationError,
  QueueError,
  UsageError,
} from "../errors.ts";
import { ScheduleNotFoundError } from "../store/decide/schedule.ts";

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

type ErrorClass = abstract new (...args: any[]) => Error;

/** Error classes and their statuses, the more specific first: the first that matches answers. */
export const STATUSES: ReadonlyArray<readonly [ErrorClass, number]> = [
  [UsageError, 400],
  [JobNotFoundError, 404],
  [DependencyNotFoundError, 404],
  [ScheduleNotFoundError, 404],
  [DuplicateJobError, 409],
  [JobStateError, 409],
  [CorruptionError, 500],
  // any other operational refusal (a schedule name taken, say): the request conflicts with the state
  [OperationError, 409],
];

/** The status an error is answered with. */
export function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  const found = STATUSES.find(([kind]) => e instanceof kind);
  if (found) return found[1];
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
