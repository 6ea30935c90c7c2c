"""Median time between consecutive marks, per home: python3 summary.py phases.jsonl"""
import collections, json, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[r["home"]].append(r)
for home, rs in rows.items():
    print(f"{home}: claim {statistics.median(r['ms'] for r in rs):.2f} ms (median of {len(rs)})")
    names = [m[0] for m in rs[0]["marks"]]
    for a, b in zip(names, names[1:]):
        if b == "flush2":
            break
        d = [dict(r["marks"])[b] - dict(r["marks"])[a] for r in rs if a in dict(r["marks"]) and b in dict(r["marks"])]
        print(f"  {a} -> {b}: {statistics.median(d):.2f} ms")
