/**
 * Damage to one store file's bytes, by kind: pure functions of (rng, bytes), so a trial can be
 * replayed from its seed. Each says where it struck, and whether a crash could have left the same
 * bytes (a torn tail of the last log segment), which is the only damage a store may open through.
 */
import { encodeLine, splitLines } from "../../src/store/codec.ts";
import type { Rng } from "./rng.ts";

export const DAMAGE_KINDS = [
  "flip",
  "flip-newline",
  "truncate",
  "truncate-tail",
  "torn-append",
  "duplicate-line",
  "swap-lines",
  "delete-line",
] as const;
export type DamageKind = typeof DAMAGE_KINDS[number];

export interface Damaged {
  bytes: Uint8Array;
  /** e.g. "byte 812 ^= 0x10", "cut at 1500 of 1560" */
  detail: string;
  /**
   * What a crash could have left, so what the store may open as:
   *   "none"         real damage: the store must refuse to open, naming the file
   *   "torn"         an unacknowledged partial append: opens with exactly the acknowledged state
   *   "last-cut"     the last log line cut short: opens without it (or with it, if only its
   *                  newline went: the checksum proves the record whole)
   *   "cut-at"       the log cut at `cutLine` (whole lines before it kept): opens as of those lines
   */
  tail: "none" | "torn" | "last-cut" | "cut-at";
  /** for "cut-at": how many whole lines remain */
  cutLine?: number;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Lines with their newline, so that joining them gives the file back. */
function linesOf(bytes: Uint8Array): Uint8Array[] {
  const { lines, complete } = splitLines(bytes);
  const out = lines.map(([s, e]) => bytes.subarray(s, e + 1));
  if (complete < bytes.length) out.push(bytes.subarray(complete));
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Damages `bytes` (a file of `isWal` log lines or not) with `kind`; null when the kind does not
 * apply (a tail kind to a file that is not the log, two lines to swap in a one-line file, ...).
 */
export function damage(r: Rng, kind: DamageKind, bytes: Uint8Array, isWal: boolean): Damaged | null {
  const lines = linesOf(bytes);
  switch (kind) {
    case "flip": {
      if (bytes.length === 0) return null;
      const at = r.int(bytes.length);
      const mask = 1 + r.int(255);
      const out = bytes.slice();
      out[at] ^= mask;
      return { bytes: out, detail: `byte ${at} ^= 0x${mask.toString(16)}`, tail: "none" };
    }
    case "flip-newline": {
      const newlines = [...bytes.keys()].filter((i) => bytes[i] === 0x0a);
      if (newlines.length === 0) return null;
      const at = r.pick(newlines);
      const out = bytes.slice();
      out[at] = r.pick([0x20, 0x7b, 0x00, 0x0d, 0x41]);
      return { bytes: out, detail: `newline at byte ${at} = 0x${out[at].toString(16)}`, tail: "none" };
    }
    case "truncate": {
      if (bytes.length === 0) return null;
      const at = r.int(bytes.length);
      const detail = `cut at byte ${at} of ${bytes.length}`;
      if (!isWal) return { bytes: bytes.slice(0, at), detail, tail: "none" };
      // any cut of the log leaves a torn last line: what a crash leaves, though it drops acknowledged lines
      const whole = linesOf(bytes.subarray(0, at)).filter((l) => l[l.length - 1] === 0x0a).length;
      return { bytes: bytes.slice(0, at), detail, tail: "cut-at", cutLine: whole };
    }
    case "truncate-tail": {
      if (!isWal || lines.length === 0) return null;
      const last = lines[lines.length - 1];
      const start = bytes.length - last.length;
      const at = start + 1 + r.int(last.length - 1);
      return {
        bytes: bytes.slice(0, at),
        detail: `cut at byte ${at} of ${bytes.length} (last line)`,
        tail: "last-cut",
      };
    }
    case "torn-append": {
      if (!isWal) return null;
      // the start of a record that a crashed writer never finished (so never acknowledged)
      const line = encodeLine({ seq: 1e9, at: new Date(0).toISOString(), type: "stop_workers" });
      const cut = 1 + r.int(line.length - 2);
      return {
        bytes: concat(bytes, line.subarray(0, cut)),
        detail: `${cut} bytes of a record appended`,
        tail: "torn",
      };
    }
    case "duplicate-line": {
      if (lines.length === 0) return null;
      const i = r.int(lines.length);
      const copy = lines[i][lines[i].length - 1] === 0x0a
        ? lines[i]
        : concat(lines[i], new Uint8Array([0x0a]));
      const at = r.int(lines.length + 1);
      const out = [...lines.slice(0, at), copy, ...lines.slice(at)];
      return { bytes: concat(...out), detail: `line ${i + 1} copied to line ${at + 1}`, tail: "none" };
    }
    case "swap-lines": {
      if (lines.length < 2) return null;
      const i = r.int(lines.length);
      let j = r.int(lines.length - 1);
      if (j >= i) j++;
      if (same(lines[i], lines[j])) return null;
      const out = [...lines];
      [out[i], out[j]] = [out[j], out[i]];
      return { bytes: concat(...out), detail: `lines ${i + 1} and ${j + 1} swapped`, tail: "none" };
    }
    case "delete-line": {
      // the log's last whole line, deleted, leaves the bytes of the store before it was written:
      // no reader could tell, so that is not damage to look for
      const candidates = isWal ? lines.length - 1 : lines.length;
      if (candidates < 1) return null;
      const i = r.int(candidates);
      return {
        bytes: concat(...lines.slice(0, i), ...lines.slice(i + 1)),
        detail: `line ${i + 1} of ${lines.length} deleted`,
        tail: "none",
      };
    }
  }
}
