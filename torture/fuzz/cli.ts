/** Runs the real binary (`deno run main.ts`) against a home, with optional stdin bytes and env. */
import { CLI_FLAGS, DENO, MAIN } from "../../testkit/mod.ts";

export interface BinaryRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function binary(
  home: string,
  args: string[],
  options: { stdin?: Uint8Array; env?: Record<string, string>; cwd?: string } = {},
): Promise<BinaryRun> {
  const child = new Deno.Command(DENO, {
    args: ["run", ...CLI_FLAGS, MAIN, ...args],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const w = child.stdin.getWriter();
    await w.write(options.stdin).catch(() => {}); // a command that refuses early may not read it all
    await w.close().catch(() => {});
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs the binary and throws unless it exits 0; returns stdout. */
export async function binaryOk(home: string, args: string[], env?: Record<string, string>): Promise<string> {
  const r = await binary(home, args, { env });
  if (r.code !== 0) throw new Error(`queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
