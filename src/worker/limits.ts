/**
 * How many slots this process's descriptor limit (`ulimit -n`) can carry: each slot's runner
 * costs the worker two pipe descriptors for its life (its stdin and stdout), and the worker
 * needs more for its store, watcher, helpers and the runtime (DESCRIPTOR_RESERVE).
 */

/** Descriptors kept for everything but the runners' pipes. */
export const DESCRIPTOR_RESERVE = 64;
/** Descriptors a slot costs the worker. */
export const DESCRIPTORS_PER_SLOT = 2;

/** This process's soft limit on open descriptors (`ulimit -n`, through sh), null for unlimited or unknown. */
export async function descriptorLimit(): Promise<number | null> {
  if (Deno.build.os === "windows") return null;
  try {
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", "ulimit -n"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** Slots a limit of `limit` descriptors can carry (Infinity for no limit). */
export function slotsForLimit(limit: number | null, reserve = DESCRIPTOR_RESERVE): number {
  if (limit === null) return Infinity;
  return Math.max(0, Math.floor((limit - reserve) / DESCRIPTORS_PER_SLOT));
}

/** Why `count` slots cannot run under `limit`, as the detail of an error sentence, or null. */
export function slotsProblem(count: number, limit: number | null): string | null {
  const most = slotsForLimit(limit);
  if (count <= most) return null;
  return `the descriptor limit (ulimit -n) is ${limit}, enough for ${most} slot(s); raise it or start fewer`;
}
