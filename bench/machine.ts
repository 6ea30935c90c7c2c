/** What the figures were measured on, and which code, for the JSON report. */

/** The 1, 5 and 15 minute load averages: how busy the shared machine was. */
export function loadAverage(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

export interface Machine {
  cpus: number;
  model: string;
  /** total memory in bytes */
  memory: number;
  deno: string;
  os: string;
}

export function machine(): Machine {
  let model = "unknown";
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? model;
  } catch { /* not Linux */ }
  return {
    cpus: navigator.hardwareConcurrency,
    model,
    memory: Deno.systemMemoryInfo().total,
    deno: Deno.version.deno,
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
  };
}

/** The commit measured, and whether the CLI's code differs from it (a work tree mid-change). */
export async function revision(repo: string): Promise<{ commit: string; dirty: boolean } | null> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args: ["-C", repo, ...args], stderr: "null" }).output();
    if (!out.success) throw new Error(`git ${args[0]} failed`);
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const commit = await git("rev-parse", "HEAD");
    const changes = await git("status", "--porcelain", "--", "main.ts", "src", "deno.json", "deno.lock");
    return { commit, dirty: changes !== "" };
  } catch {
    return null;
  }
}
