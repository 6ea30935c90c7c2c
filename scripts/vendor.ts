/**
 * `deno task vendor`: copies the npm packages the CLI imports at run time into vendor/, where
 * deno.json's import map points. Why: Deno 2.9.6 keeps no V8 code cache for an npm module that
 * a dynamic import reaches (every command's tree is such an import: src/cli/app.ts), so each
 * call parsed @stricli/core's 86 KB again and wrote its cache back to the cache database; the
 * same file loaded as a plain module is read from the cache (vendor/README.md has the
 * measurements). The copies are the packages' own files, byte for byte, with one line on top
 * naming their type declarations.
 *
 * The script fetches each package into Deno's npm cache (`deno cache npm:NAME@VERSION`), then
 * copies the files listed below. Run it after changing a version here, and commit vendor/.
 */
const root = new URL("..", import.meta.url).pathname;

interface Vendored {
  name: string;
  version: string;
  /** the module file, relative to the package, and its declarations */
  module: string;
  types: string;
  /**
   * the license file in the package, or null when the package ships none: then vendor/'s copy
   * of the license (written by hand, vendor/README.md says from where) stays as it is
   */
  license: string | null;
}

export const VENDORED: readonly Vendored[] = [
  {
    name: "@stricli/core",
    version: "1.3.0",
    module: "dist/index.js",
    types: "dist/index.d.ts",
    license: null,
  },
  {
    name: "strip-json-comments",
    version: "5.0.3",
    module: "index.js",
    types: "index.d.ts",
    license: "license",
  },
  {
    name: "croner",
    version: "11.0.1",
    module: "dist/croner.js",
    types: "dist/croner.d.ts",
    license: "LICENSE",
  },
];

/** vendor/'s folder of a package: `@stricli/core` 1.3.0 → `stricli-core@1.3.0`. */
export function folderOf(v: Vendored): string {
  return `${v.name.replace(/^@/, "").replace("/", "-")}@${v.version}`;
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
  if (!out.success) throw new Error(`deno ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  const npmCache = JSON.parse(await run(["info", "--json"])).npmCache as string;
  for (const v of VENDORED) {
    await run(["cache", "--no-lock", `npm:${v.name}@${v.version}`]);
    const from = `${npmCache}/registry.npmjs.org/${v.name}/${v.version}`;
    const to = `${root}vendor/${folderOf(v)}`;
    await Deno.mkdir(to, { recursive: true });
    const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
    const source = await Deno.readTextFile(`${from}/${v.module}`);
    await Deno.writeTextFile(`${to}/${base(v.module)}`, `// @ts-self-types="./${base(v.types)}"\n${source}`);
    await Deno.copyFile(`${from}/${v.types}`, `${to}/${base(v.types)}`);
    if (v.license) await Deno.copyFile(`${from}/${v.license}`, `${to}/LICENSE`);
    console.log(`vendor/${folderOf(v)}: ${v.module}, ${v.types}${v.license ? ", LICENSE" : ""}`);
  }
}
