/**
 * `deno task tour`: runs README.md's five-minute tour for real and writes what each command
 * printed (stdout and stderr, in order) back under it. In a fresh home, /tmp/tour/home, from the
 * directory /tmp/tour, as the tour says; `queuectl` is this checkout's main.ts with the CLI's run
 * flags, through bash so that each `$ ` line is run as written. The waiting hint is kept once,
 * as the tour says it shows it.
 */
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

const root = new URL("..", import.meta.url).pathname;
const readme = `${root}README.md`;
const text = Deno.readTextFileSync(readme);
const start = text.indexOf("## A five-minute tour");
const end = text.indexOf("\n## ", start + 1);
if (start < 0 || end < 0) throw new Error("README.md has no section '## A five-minute tour'");

const dir = "/tmp/tour";
try {
  Deno.removeSync(dir, { recursive: true });
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
Deno.mkdirSync(dir, { recursive: true });
const shell = `queuectl() { ${Deno.execPath()} run ${CLI_FLAGS.join(" ")} ${root}main.ts "$@"; }\n`;

/** What `command` prints, stdout and stderr as one stream. */
async function run(command: string): Promise<string[]> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `${shell}exec 2>&1\n${command}`],
    cwd: dir,
    env: { QUEUECTL_HOME: `${dir}/home` },
  }).output();
  const printed = new TextDecoder().decode(out.stdout).replace(/\n$/, "");
  return printed === "" ? [] : printed.split("\n");
}

const lines = text.slice(start, end).split("\n");
const out: string[] = [];
let inBlock = false;
let hinted = false;
for (let i = 0; i < lines.length;) {
  const line = lines[i++];
  out.push(line);
  if (line.startsWith("```")) inBlock = !inBlock;
  if (!inBlock || !line.startsWith("$ ")) continue;
  console.error(line);
  for (const printed of await run(line.slice(2))) {
    if (/^hint: .* waiting and no worker is running/.test(printed)) {
      if (hinted) continue;
      hinted = true;
    }
    out.push(printed);
  }
  while (i < lines.length && !lines[i].startsWith("$ ") && !lines[i].startsWith("```")) i++;
}
Deno.writeTextFileSync(readme, text.slice(0, start) + out.join("\n") + text.slice(end));
console.error(`wrote the tour's output into README.md`);
