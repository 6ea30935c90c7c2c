// One file's size and identity, three ways, 10,000 calls each after 1,000 to warm up, in µs a call:
// FsFile.statSync() (what wal.ts asked twice a catch-up before), a seek to the end (its size now),
// and Deno.statSync() of its path (its identity now, against the inode read at open).
//   deno run --allow-read --allow-write fstat.ts FILE     (the CLI's permission flags: fstat.sh)
//   deno run -A fstat.ts FILE                              (every permission: no path checks)
const path = Deno.args[0];
const file = Deno.openSync(path, { read: true });
const ways: Array<[string, () => unknown]> = [
  ["FsFile.statSync()", () => file.statSync()],
  ["seekSync(0, End)", () => file.seekSync(0, Deno.SeekMode.End)],
  ["Deno.statSync(path)", () => Deno.statSync(path)],
];
for (const [name, way] of ways) {
  for (let i = 0; i < 1000; i++) way();
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) way();
  console.log(`${name.padEnd(22)} ${((performance.now() - t0) / 10).toFixed(2)} µs`);
}
