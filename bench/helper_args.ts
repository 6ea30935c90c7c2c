/** The command lines of the bench's helper scripts (populate.ts, claim.ts, …): `--name value` pairs. */

/** The word after `--name` in `args`, or undefined when `--name` is absent. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
