import assert from "node:assert/strict";
import { CorruptionError } from "../errors.ts";
import { NOW, pendingJob, withOrderHeader, withPendingHome } from "./_pending_fixtures.ts";
import { PendingReader, type PendingSegment } from "./pending.ts";
import { verifySegment } from "./pending_verify.ts";
import { rewriteSegments, writePendingSegment } from "./pending_write.ts";
import { ENTRY_WIDTH } from "./pending_format.ts";
import { type HomePaths, homePaths } from "./paths.ts";

type Kind = "jobs" | "index" | "order";

/** A fresh segment of 300 jobs in three queues, damaged by `damage`, then checked by `check`. */
function damaged(
  kind: Kind,
  damage: (bytes: Uint8Array, seg: PendingSegment) => Uint8Array,
  check: (reader: PendingReader, seg: PendingSegment) => void,
): void {
  const home = Deno.makeTempDirSync({ prefix: "qpending-" });
  const paths = homePaths(home);
  const reader = new PendingReader(paths);
  try {
    const jobs = Array.from(
      { length: 300 },
      (_, i) => pendingJob(`d${String(i).padStart(3, "0")}`, i + 1, { queue: `q${i % 3}`, priority: i % 5 }),
    );
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    const path = file(paths, kind);
    Deno.writeFileSync(path, damage(Deno.readFileSync(path), seg));
    check(reader, seg);
  } finally {
    reader.close();
    Deno.removeSync(home, { recursive: true });
  }
}

function file(paths: HomePaths, kind: Kind): string {
  return kind === "jobs"
    ? paths.pendingJobs(1)
    : kind === "index"
    ? paths.pendingIndex(1)
    : paths.pendingOrder(1);
}

/** Asserts `fn` throws a CorruptionError naming the file of `kind`, and whose detail matches `why`. */
function failsNaming(kind: Kind, why: RegExp, fn: () => unknown): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof CorruptionError, String(e));
    assert.match(e.message, new RegExp(`^Store file pending-00000001\\.${kind} is corrupt at `));
    assert.match(e.message, why);
    return true;
  });
}

/** [start, end) of every line of `bytes`, newline included. */
function lines(bytes: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < bytes.length;) {
    const e = bytes.indexOf(0x0a, s) + 1;
    out.push([s, e]);
    s = e;
  }
  return out;
}

/** `bytes` with lines i and j (i < j) swapped. */
function swap(bytes: Uint8Array, i: number, j: number): Uint8Array {
  const ls = lines(bytes);
  const [a, b] = [ls[i], ls[j]];
  const parts = [
    bytes.subarray(0, a[0]),
    bytes.subarray(b[0], b[1]),
    bytes.subarray(a[1], b[0]),
    bytes.subarray(a[0], a[1]),
    bytes.subarray(b[1]),
  ];
  const out = new Uint8Array(bytes.length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  bytes[at] ^= 0x01;
  return bytes;
}

const entryAt = (seg: PendingSegment, k: number) =>
  seg.order_bytes - seg.jobs * ENTRY_WIDTH + k * ENTRY_WIDTH;

Deno.test("a flipped byte in each file kind fails the read that meets it and verifySegment(), naming the file", () => {
  // inside the line of d005 (seq 6)
  const jobAt = (bytes: Uint8Array) => lines(bytes)[5][0] + 30;
  damaged("jobs", (b) => flip(b, jobAt(b)), (reader, seg) => {
    failsNaming("jobs", /checksum mismatch/, () => reader.lookup(seg, "d005"));
    failsNaming("jobs", /checksum mismatch/, () => [...reader.scan(seg)]);
    failsNaming("jobs", /checksum mismatch/, () => [...reader.scanBackward(seg)]);
    failsNaming("jobs", /checksum mismatch/, () => verifySegment(reader, seg));
    assert.equal(reader.lookup(seg, "d006")?.job.id, "d006", "the lines around it still read");
  });
  // a digit of the offset of d007's index line
  damaged("index", (b) => flip(b, lines(b)[7][0] + 6), (reader, seg) => {
    failsNaming("index", /fails its checksum/, () => reader.lookup(seg, "d007"));
    failsNaming("index", /fails its checksum/, () => verifySegment(reader, seg));
  });
  damaged("order", (b, seg) => flip(b, entryAt(seg, 17) + 20), (reader, seg) => {
    const list = seg.lists.findIndex((l) => l.first <= 17 && 17 < l.first + l.count);
    failsNaming(
      "order",
      /order entry 17 fails its checksum/,
      () => reader.entry(seg, list, 17 - seg.lists[list].first),
    );
    failsNaming("order", /order entry 17 fails its checksum/, () => verifySegment(reader, seg));
  });
  damaged("order", (b) => flip(b, 40), (reader, seg) => {
    failsNaming("order", /at byte 0: the header checksum mismatch/, () => reader.entry(seg, 0, 0));
  });
});

Deno.test("a truncated file of each kind fails at open, naming it; one whose record agrees fails at its torn end", () => {
  for (const kind of ["jobs", "index", "order"] as const) {
    damaged(kind, (b) => b.subarray(0, b.length - 10), (reader, seg) => {
      failsNaming(
        kind,
        /at open: it has \d+ bytes where the snapshot recorded \d+/,
        () => verifySegment(reader, seg),
      );
      failsNaming(kind, /at open/, () => reader.open(seg));
    });
  }
  damaged("jobs", (b) => b.subarray(0, b.length - 10), (reader, seg) => {
    failsNaming(
      "jobs",
      /the last line is unterminated/,
      () => [...reader.scan({ ...seg, bytes: seg.bytes - 10 })],
    );
    failsNaming("jobs", /unterminated/, () => [...reader.scanBackward({ ...seg, bytes: seg.bytes - 10 })]);
  });
  damaged("order", (b) => b, (reader, seg) => {
    Deno.removeSync(reader.paths.pendingOrder(1));
    failsNaming("order", /at open: the file is missing/, () => reader.entry(seg, 0, 0));
  });
});

Deno.test("two swapped lines in each file kind are found, naming the file", () => {
  damaged("jobs", (b) => swap(b, 10, 11), (reader, seg) => {
    failsNaming("jobs", /out of seq order/, () => verifySegment(reader, seg));
    failsNaming("jobs", /out of seq order/, () => [...reader.scan(seg)]);
    failsNaming("jobs", /out of seq order/, () => [...reader.scanBackward(seg)]);
    // the index points into the middle of a line, or at another job
    failsNaming("jobs", /.+/, () => reader.lookup(seg, "d011"));
  });
  damaged("index", (b) => swap(b, 20, 21), (reader, seg) => {
    failsNaming("index", /out of id order/, () => verifySegment(reader, seg));
    failsNaming("index", /out of id order/, () => reader.lookup(seg, "d020"));
    failsNaming("index", /out of id order/, () => reader.lookup(seg, "d021"));
  });
  damaged("order", (b, seg) => {
    // entries are fixed-width: swap entries 30 and 31 (lines 31 and 32, after the header)
    const before = lines(b).findIndex(([s]) => s === entryAt(seg, 0));
    return swap(b, before + 30, before + 31);
  }, (reader, seg) => {
    const list = seg.lists.findIndex((l) => l.first <= 30 && 31 < l.first + l.count);
    failsNaming(
      "order",
      /order entry 30 fails its checksum/,
      () => reader.entry(seg, list, 30 - seg.lists[list].first),
    );
    failsNaming(
      "order",
      /order entry 31 fails its checksum/,
      () => reader.entry(seg, list, 31 - seg.lists[list].first),
    );
    failsNaming("order", /order entry 30 fails its checksum/, () => verifySegment(reader, seg));
  });
});

Deno.test("verifySegment() finds files that each pass their checksums but disagree, naming the file at fault", () => {
  const other = Deno.makeTempDirSync({ prefix: "qpending-other-" });
  try {
    // an index of other jobs of the same size: every line sealed, none naming these jobs' lines
    damaged("index", (_bytes, seg) => {
      const paths = homePaths(other);
      const jobs = Array.from(
        { length: 300 },
        (_, i) =>
          pendingJob(`e${String(i).padStart(3, "0")}`, i + 1, { queue: `q${i % 3}`, priority: i % 5 }),
      );
      const alt = writePendingSegment(paths, 1, jobs, NOW);
      assert.equal(alt.index_bytes, seg.index_bytes);
      return Deno.readFileSync(paths.pendingIndex(1));
    }, (reader, seg) => {
      failsNaming(
        "index",
        /places job "e000" where the jobs file has another/,
        () => verifySegment(reader, seg),
      );
    });
  } finally {
    Deno.removeSync(other, { recursive: true });
  }
  // a record whose lists' times are not the order file's
  damaged("order", (b) => b, (reader, seg) => {
    assert.ok(seg.lists.every((l) => l.kind === "due"));
    const lists = seg.lists.map((l, i) => (i === 0 ? { ...l, first_run_at: "2026-11-23T12:00:00.000Z" } : l));
    failsNaming("order", /the header's lists differ/, () => verifySegment(reader, { ...seg, lists }));
  });
  // a header and record that agree on a due list's top priority lower than its first entry's (a
  // claim would leave the list unread while it holds the best job), or higher: both are refused
  for (const recorded of [3, 5]) {
    const wrong = (seg: PendingSegment) =>
      seg.lists.map((l, i) => (i === 0 ? { ...l, top_priority: recorded } : l));
    damaged("order", (bytes, seg) => {
      assert.equal(seg.lists[0].top_priority, 4);
      const out = withOrderHeader(bytes, seg, wrong(seg));
      assert.equal(out.length, bytes.length, "the same length: only the priority differs");
      return out;
    }, (reader, seg) => {
      failsNaming(
        "order",
        new RegExp(`list 0 \\(q0, due\\) records top priority ${recorded}, its first entry 4`),
        () => verifySegment(reader, { ...seg, lists: wrong(seg) }),
      );
    });
  }
  // a scheduled list records no top priority
  withPendingHome((paths, reader) => {
    const seg = writePendingSegment(
      paths,
      1,
      [pendingJob("s1", 1, { run_at: "2026-11-23T14:00:00.000Z" })],
      NOW,
    );
    assert.deepEqual(seg.lists.map((l) => [l.kind, l.top_priority]), [["scheduled", undefined]]);
    const lists = seg.lists.map((l) => ({ ...l, top_priority: 0 }));
    const bytes = withOrderHeader(Deno.readFileSync(paths.pendingOrder(1)), seg, lists);
    Deno.writeFileSync(paths.pendingOrder(1), bytes);
    failsNaming(
      "order",
      /list 0 \(default, scheduled\) records top priority 0, its first entry undefined/,
      () => verifySegment(reader, { ...seg, lists, order_bytes: bytes.length }),
    );
  });
  // a record claiming other lists than the order file's header
  damaged("order", (b) => b, (reader, seg) => {
    const lists = seg.lists.map((l) => ({ ...l }));
    [lists[0].count, lists[1].first] = [lists[0].count - 1, lists[1].first - 1];
    lists[1].count++;
    failsNaming(
      "order",
      /the header's lists differ from the snapshot's record/,
      () => verifySegment(reader, { ...seg, lists }),
    );
  });
});

Deno.test("a rewrite that meets a damaged input fails naming it, and leaves no file of its own", () => {
  // the line of d100, which the rewrite keeps (nothing is consumed)
  damaged("jobs", (b) => flip(b, lines(b)[100][0] + 50), (reader, seg) => {
    failsNaming("jobs", /checksum mismatch/, () => rewriteSegments(reader, [seg], new Map(), 2, NOW));
    const left = [...Deno.readDirSync(reader.paths.home)].map((e) => e.name).filter((n) =>
      n.includes("00000002")
    );
    assert.deepEqual(left, []);
  });
  // an order entry moved: the rewrite walks the lists and meets it
  damaged("order", (b, seg) => flip(b, entryAt(seg, 250) + 5), (reader, seg) => {
    failsNaming(
      "order",
      /order entry 250 fails its checksum/,
      () => rewriteSegments(reader, [seg], new Map(), 2, NOW),
    );
  });
});
