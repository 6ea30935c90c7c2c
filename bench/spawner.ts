/**
 * The drain baseline: what running N shell commands costs with no queue at all. Spawns `sh -c
 * COMMAND` JOBS times, PARALLEL at a time, each detached into its own process group (as the
 * worker runs jobs), with Deno.Command, and waits for all of them.
 *
 *   deno run --allow-run bench/spawner.ts JOBS PARALLEL COMMAND
 */

export async function spawnAll(jobs: number, parallel: number, command: string): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < jobs) {
      next++;
      const child = new Deno.Command("sh", {
        args: ["-c", command],
        detached: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      await child.status;
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

if (import.meta.main) {
  const [jobs, parallel, command] = [Number(Deno.args[0]), Number(Deno.args[1]), Deno.args[2]];
  if (!(jobs > 0 && parallel > 0 && command)) {
    console.error("usage: spawner.ts JOBS PARALLEL COMMAND");
    Deno.exit(2);
  }
  await spawnAll(jobs, parallel, command);
}
