/**
 * Peak resident memory of a child process, from Linux's /proc (Deno reads /proc only with
 * --allow-all, which `deno task bench` has).
 *
 * How: VmHWM in /proc/PID/status is the kernel's own high-water mark of the process's resident
 * set, so every sample is already "the peak so far", not a momentary value; polling it every
 * few milliseconds and keeping the last value read before the process exits loses only growth
 * in the final interval. (The exact figure, ru_maxrss from wait4(), is what GNU `time -f %M`
 * prints, but Deno's child API does not expose rusage, and the bench should need no extra
 * tool: on this machine the two agreed within a few percent.) Once the process has exited its
 * memory map is gone and /proc no longer shows VmHWM, so it cannot be read afterwards.
 */

const POLL_MS = 3;

/** Highest VmHWM (bytes) seen while `child` ran; resolves when it has exited. */
export async function peakRss(child: Deno.ChildProcess): Promise<number> {
  let exited = false;
  const done = child.status.then(() => {
    exited = true;
  });
  let peak = 0;
  while (!exited) {
    const kb = vmHwmKb(child.pid);
    if (kb !== null && kb > peak) peak = kb;
    await Promise.race([done, new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  return peak * 1024;
}

/** VmHWM of `pid` in KiB, or null when the process is gone (or has become a zombie). */
export function vmHwmKb(pid: number): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) : null;
}
