# From a .cpuprofile: the share of samples each function took itself (not its callees), then, for
# each of the operations named after the profile, the call chains (five frames up) its samples had.
#   python3 top.py worker.cpuprofile N [op_write_sync op_fs_stat_sync ...]
import collections, json, sys

p = json.load(open(sys.argv[1]))
nodes = {n["id"]: n for n in p["nodes"]}
parent = {c: n["id"] for n in p["nodes"] for c in n.get("children", [])}
samples = collections.Counter(p["samples"])
total = len(p["samples"])


def name(node_id):
    f = nodes[node_id]["callFrame"]
    return f"{f['functionName'] or '(anonymous)'} {f['url'].split('/')[-1]}:{f['lineNumber']}"


by = collections.Counter()
for node_id, n in samples.items():
    by[name(node_id)] += n
print(f"{total} samples")
for fn, n in by.most_common(int(sys.argv[2])):
    print(f"{100 * n / total:5.1f} %  {fn}")
for op in sys.argv[3:]:
    chains = collections.Counter()
    for node_id, n in samples.items():
        if nodes[node_id]["callFrame"]["functionName"] != op:
            continue
        chain, up = [], parent.get(node_id)
        while up is not None and len(chain) < 5:
            chain.append(name(up))
            up = parent.get(up)
        chains[" < ".join(chain)] += n
    print(f"\n{op}: {sum(chains.values())} samples, by caller")
    for chain, n in chains.most_common(6):
        print(f"  {n:5d}  {chain}")
