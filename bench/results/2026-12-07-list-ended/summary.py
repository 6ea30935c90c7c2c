"""Medians of an ab_list.sh output: python3 summary.py FILE"""
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split()
    d[k].append(float(v))
for k, v in d.items():
    print(f"{k:15s} median {statistics.median(v):6.1f} ms  min {min(v):6.1f}  max {max(v):6.1f}  n {len(v)}")
m = {k: statistics.median(v) for k, v in d.items()}
print(f"history / small: before {m['before-history'] / m['before-small']:.2f}x, after {m['after-history'] / m['after-small']:.2f}x")
