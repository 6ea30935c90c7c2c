const mode = Deno.args[0];
const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
const w = child.stdin.getWriter();
const enc = new TextEncoder();
const msg = enc.encode("hello\n");
const sizes = new Map<number, number>();
const t0 = performance.now();
if (mode === "default") {
  const r = child.stdout.getReader();
  for (let i = 0; i < 50000; i++) {
    await w.write(msg);
    const { value } = await r.read();
    sizes.set(value!.buffer.byteLength, (sizes.get(value!.buffer.byteLength) ?? 0) + 1);
  }
} else {
  const r = child.stdout.getReader({ mode: "byob" });
  let buf = new Uint8Array(4096);
  for (let i = 0; i < 50000; i++) {
    await w.write(msg);
    const { value } = await r.read(buf);
    sizes.set(value!.buffer.byteLength, (sizes.get(value!.buffer.byteLength) ?? 0) + 1);
    buf = new Uint8Array(value!.buffer);
  }
}
const m = Deno.memoryUsage();
console.log(
  mode,
  [...sizes],
  (performance.now() - t0).toFixed(0),
  "ms rss",
  (m.rss / 1e6).toFixed(1),
  "ext",
  (m.external / 1e6).toFixed(1),
  "heapTotal",
  (m.heapTotal / 1e6).toFixed(1),
);
await w.close();
