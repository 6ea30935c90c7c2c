/**
 * Text from jobs (commands, output tails, errors) shown on a terminal. A job's bytes are not
 * trusted: an escape sequence such as `\x1b]0;title\x07` in a command or its output would
 * otherwise reach the terminal raw (retitle it, rewrite lines, hide text); `\r` could overwrite
 * what `show` printed before it. Control characters are written as JSON-style escapes instead.
 */

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi overrides and isolates
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// the same, but newlines and tabs are kept (multi-line text such as an output tail)
// deno-lint-ignore no-control-regex
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `text` with every control character escaped; with `keepLines`, `\n` and `\t` stay. */
export function printable(text: string, keepLines = false): string {
  return text.replace(keepLines ? UNSAFE_KEEP_LINES : UNSAFE, escape);
}

/** `text` on one line (whitespace runs made one space), escaped, cut to `max` characters. */
export function shorten(text: string, max = 48): string {
  const flat = printable(text.replace(/\s+/g, " ").trim());
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
