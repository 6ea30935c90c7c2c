/** CPU time a process has used so far, from /proc/PID/stat (Linux; needs --allow-all in Deno). */

/** Clock ticks per second of utime/stime: `getconf CLK_TCK`, 100 on every Linux we run on. */
export async function clockTicks(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of `pid`, in clock ticks (its own, not its children's). */
export function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // the command name (field 2) may hold spaces and parentheses: count fields after its last ")"
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields from 3 on: state is fields[0], so utime (14) and stime (15) are fields[11] and [12]
  return Number(fields[11]) + Number(fields[12]);
}
