/**
 * Imports a module by a computed name, so that start-up does not prepare it. Deno prepares
 * (reads, hashes, compiles) every module a literal import reaches when the program starts, static
 * or dynamic, whether the import ever runs or not; a computed name only when the import runs.
 * `deno compile` cannot see these imports: scripts/compile.ts names every module of src/.
 *
 * `base` is the importing module's `import.meta.url`, `path` relative to it, as in an import.
 */
export function lazy<T>(base: string, path: string): Promise<T> {
  return import(new URL(path, base).href);
}
