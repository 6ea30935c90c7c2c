/**
 * queuectl: runs the command line (src/cli/run.ts) on this process's streams, environment and
 * stdin, and exits with its code (0 ok, 1 operational error, 2 invalid input or usage).
 * `--version` is answered before anything else is loaded; an `enqueue` is first offered to a
 * running worker of its home, when src/handoff/targets.ts finds one (the worker has run the
 * store's code already); every other command line loads the command tree, and that only the
 * named command's modules (src/cli/app.ts), but `enqueue <job>`, which src/cli/run.ts runs
 * without it. In the bundle, that line and the hand-off run from a build of their own
 * (scripts/build.ts), which is why lazy() below names the build.
 */
import { asksVersion, plainEnqueue, splitGlobalHome, VERSION } from "./src/cli/global_args.ts";
import { isStreamGone } from "./src/stream_gone.ts";
import { handOffTargets } from "./src/handoff/targets.ts";

export { splitGlobalHome };

const encoder = new TextEncoder();
function writer(file: { writeSync(p: Uint8Array): number }) {
  return {
    write(text: string) {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    },
  };
}

/**
 * Imports a module by a computed name: Deno prepares (reads, hashes, compiles) every module a
 * literal import reaches, static or dynamic, when the program starts; a computed name only when
 * the import runs (src/lazy.ts says more; not imported from there, so that `--version` loads one
 * module less). `path` names a module of src/lazy.ts's LAZY_MODULES, relative to this file at the
 * repository root. In the bundle (scripts/build.ts) this file is dist/main.js, the modules of an
 * enqueue (ENQUEUE_MODULES) dist/<path> with `.js` for `.ts`, and the build of every command
 * (`all`) is in dist/all/.
 */
function lazy<T>(path: string, build: "enqueue" | "all"): Promise<T> {
  const bundled = import.meta.url.endsWith(".js");
  const file = bundled ? (build === "all" ? "./all/" : "./") + path.slice(2).replace(/\.ts$/, ".js") : path;
  return import(new URL(file, import.meta.url).href);
}

/** This process's user id, null where it cannot be read (no permission, or no ids: Windows). */
function uidIfPermitted(): number | null {
  if (Deno.build.os === "windows") return null;
  return Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted" ? Deno.uid() : null;
}

export async function main(args: string[]): Promise<number> {
  const build = plainEnqueue(splitGlobalHome(args).rest) ? "enqueue" : "all";
  const { runApp } = await lazy<typeof import("./src/cli/run.ts")>("./src/cli/run.ts", build);
  return runApp(args, {
    stdout: writer(Deno.stdout),
    stderr: writer(Deno.stderr),
    env: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    readStdin: async () => new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()),
  });
}

if (import.meta.main) {
  const { rest } = splitGlobalHome(Deno.args);
  if (asksVersion(rest)) {
    try {
      writer(Deno.stdout).write(`${VERSION}\n`);
    } catch (e) {
      if (!isStreamGone(e)) throw e; // a reader gone (`| true`) has all it wanted
    }
    Deno.exit(0);
  }
  if (rest[0] === "enqueue") {
    const cwd = Deno.cwd();
    const uid = uidIfPermitted();
    // the workers that may take the call: with none, the hand-off's own code is not even loaded
    const targets = handOffTargets(Deno.args, (name) => Deno.env.get(name), cwd, uid);
    if (targets.length > 0) {
      const { handOff } = await lazy<typeof import("./src/handoff/client.ts")>(
        "./src/handoff/client.ts",
        "enqueue",
      );
      const io = {
        stdout: writer(Deno.stdout),
        stderr: writer(Deno.stderr),
        env: Deno.env.toObject(),
        cwd,
        uid,
      };
      const code = await handOff(Deno.args, io, targets);
      if (code !== null) Deno.exit(code);
    }
  }
  Deno.exit(await main(Deno.args));
}
