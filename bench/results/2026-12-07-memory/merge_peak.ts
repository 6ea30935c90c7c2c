// scratch: peak RSS of merging one 27 MB archive segment (hist6's archive-12) into segment 999
const tree = Deno.args[0];
const { ArchiveReader } = await import(`${tree}/src/store/archive.ts`);
const { mergeSegments } = await import(`${tree}/src/store/archive_write.ts`);
const { homePaths } = await import(`${tree}/src/store/paths.ts`);
const paths = homePaths("/tmp/rx/mh");
const bytes = Deno.statSync(paths.archiveJobs(12)).size;
const seg = {
  n: 12,
  jobs: 0,
  bytes,
  index_bytes: Deno.statSync(paths.archiveIndex(12)).size,
  min_seq: 0,
  max_seq: 0,
  min_id: "",
  max_id: "",
};
const status = (k: string) =>
  Number(Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${k}:\\s+(\\d+)`))![1]) / 1024;
Deno.writeTextFileSync("/proc/self/clear_refs", "5");
const before = status("VmRSS");
const t0 = performance.now();
const out = mergeSegments(new ArchiveReader(paths), [seg], new Map(), 999);
console.log(
  `${tree}: ${out.jobs} jobs ${(out.bytes / 1e6).toFixed(1)} MB in ${
    (performance.now() - t0).toFixed(0)
  } ms; RSS before ${before.toFixed(0)} MB, peak ${status("VmHWM").toFixed(0)} MB`,
);
const tag = Deno.args[1];
Deno.renameSync(paths.archiveJobs(999), `/tmp/rx/out-${tag}.jobs`);
Deno.renameSync(paths.archiveIndex(999), `/tmp/rx/out-${tag}.index`);
console.log(JSON.stringify({ ...out, facts: undefined }), JSON.stringify(out.facts).length);
