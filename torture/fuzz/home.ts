/**
 * A fingerprint of a home directory: every entry's path, type, permission bits and, for a file,
 * its size and SHA-256. Two equal fingerprints mean the same file list, modes and bytes; a home
 * that does not exist has the fingerprint "absent".
 */
export async function fingerprint(home: string): Promise<string> {
  try {
    Deno.statSync(home);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "absent";
    throw e;
  }
  const lines: string[] = [];
  const walk = async (dir: string, rel: string) => {
    const info = Deno.statSync(dir);
    lines.push(`d ${rel || "."} ${((info.mode ?? 0) & 0o7777).toString(8)}`);
    const entries = [...Deno.readDirSync(dir)].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path, name);
      else {
        const st = Deno.lstatSync(path);
        const bytes = e.isFile ? Deno.readFileSync(path) : new Uint8Array();
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
        lines.push(
          `${e.isFile ? "f" : "l"} ${name} ${((st.mode ?? 0) & 0o7777).toString(8)} ${st.size} ${hex}`,
        );
      }
    }
  };
  await walk(home, "");
  return lines.join("\n");
}

/** The lines of `after` that differ from `before`, for a violation's message. */
export function changes(before: string, after: string): string {
  const a = new Set(before.split("\n"));
  const b = new Set(after.split("\n"));
  const gone = [...a].filter((l) => !b.has(l)).map((l) => `- ${l.split(" ").slice(0, 2).join(" ")}`);
  const added = [...b].filter((l) => !a.has(l)).map((l) => `+ ${l.split(" ").slice(0, 2).join(" ")}`);
  return [...gone, ...added].join(", ");
}
