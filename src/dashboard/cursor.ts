/**
 * Page cursors of `GET /api/jobs`: opaque to clients, and nothing but the order and the seq of the
 * last job of the page (base64url of `asc:123`). The store resumes past that seq, so jobs
 * enqueued meanwhile never shift a page (newest-first: they come before the first page).
 */
import { HttpError } from "./respond.ts";

export type Order = "asc" | "desc";

export function encodeCursor(order: Order, seq: number): string {
  return btoa(`${order}:${seq}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(text: string, order: Order): number {
  let plain = "";
  try {
    plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch { /* refused below */ }
  const m = /^(asc|desc):(\d{1,15})$/.exec(plain);
  if (!m) {
    throw new HttpError(
      400,
      `Invalid cursor "${text.slice(0, 40)}": pass back a next_cursor as it was given`,
    );
  }
  if (m[1] !== order) {
    throw new HttpError(400, `Invalid cursor: it continues a listing in "${m[1]}" order, not "${order}"`);
  }
  return Number(m[2]);
}
