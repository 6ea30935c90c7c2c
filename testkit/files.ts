/** Looking at files from tests: what a home holds, a file's lines, whether a path exists. */

/** Every file under `home` with its bytes, to prove a failed command changed nothing. */
export function snapshotFiles(home: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(path, name);
      else if (e.isFile) out.set(name, Array.from(Deno.readFileSync(path)).join(","));
    }
  };
  walk(home, "");
  return out;
}

/** The name of the snapshot file in `home` (the one there is, after a compaction completed). */
export function snapshotName(home: string): string {
  const found = [...Deno.readDirSync(home)].find((e) => /^snapshot-\d{8}\.snap$/.test(e.name));
  if (!found) throw new Error(`no snapshot in ${home}`);
  return found.name;
}

/** Lines of a text file, without empty ones; [] when it does not exist (yet). */
export function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** True when something exists at `path` (a dangling symlink does not count). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
