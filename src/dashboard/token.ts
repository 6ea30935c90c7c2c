/**
 * The dashboard's access token: the one generated when none is given, and the rules a given one
 * must follow. Pure: randomness comes in as a parameter. A token is never echoed in an error.
 */
import { UsageError } from "../errors.ts";

export const MIN_TOKEN_LENGTH = 16;

/** Random bytes in a generated token: 192 bits. */
export const GENERATED_TOKEN_BYTES = 24;

/**
 * A new random token, URL-safe (base64url, no padding): 32 characters for 192 bits. `random` fills
 * its argument with random bytes (crypto.getRandomValues by default).
 */
export function generateToken(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(GENERATED_TOKEN_BYTES));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Throws a UsageError naming `source` (such as `--token`) when `token` cannot serve: shorter than
 * MIN_TOKEN_LENGTH, or holding anything but printable ASCII (it travels in an HTTP header, a cookie
 * and a URL), or starting or ending with a space (a Bearer header loses those).
 */
export function checkToken(source: string, token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `Invalid ${source}: the token has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH}`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(token)) {
    throw new UsageError(
      `Invalid ${source}: the token may hold printable ASCII characters only (no control characters, no accents)`,
    );
  }
  if (token.trim() !== token) {
    throw new UsageError(`Invalid ${source}: the token must not start or end with a space`);
  }
  return token;
}

/** The token in a token file's text: the file's content without its final line break. */
export function tokenInFile(text: string): string {
  return text.replace(/\r?\n$/, "");
}
