/**
 * CPU time of the bench's finished children, from getrusage(RUSAGE_CHILDREN) through Deno's FFI
 * (the task runs with --allow-all): user + system time of every child the bench has waited for,
 * and of their own descendants that they waited for (a worker's runners and their jobs). The
 * difference across one child's run is that child's CPU time, to the microsecond, as long as no
 * other child ends meanwhile (the bench runs its timed children one at a time).
 *
 * On a shared machine wall time grows with the load; CPU time for the same work much less so,
 * which is why the table shows a CPU ratio beside the wall-time ratio.
 */

const RUSAGE_CHILDREN = -1;

let getrusage: ((who: number, buf: Uint8Array) => number) | null | undefined;

function load(): ((who: number, buf: Uint8Array) => number) | null {
  if (getrusage !== undefined) return getrusage;
  try {
    const libc = Deno.build.os === "darwin" ? "libc.dylib" : "libc.so.6";
    const lib = Deno.dlopen(libc, { getrusage: { parameters: ["i32", "buffer"], result: "i32" } });
    getrusage = (who, buf) => lib.symbols.getrusage(who, buf) as number;
  } catch {
    getrusage = null;
  }
  return getrusage;
}

/** Milliseconds of CPU (user + system) used by the children waited for so far; null where unknown. */
export function childrenCpuMs(): number | null {
  const call = load();
  if (!call) return null;
  // struct rusage begins with ru_utime and ru_stime, two struct timeval {i64 sec; i64 usec} on 64-bit
  const words = new BigInt64Array(18);
  if (call(RUSAGE_CHILDREN, new Uint8Array(words.buffer)) !== 0) return null;
  const ms = (sec: bigint, usec: bigint) => Number(sec) * 1000 + Number(usec) / 1000;
  return ms(words[0], words[1]) + ms(words[2], words[3]);
}
