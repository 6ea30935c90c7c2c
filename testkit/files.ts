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
