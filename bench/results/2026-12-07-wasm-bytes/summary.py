# Prints each history run's rows (median, baseline, ratio): python3 summary.py history-*.json
import json, sys

for path in sys.argv[1:]:
    d = json.load(open(path))
    print(f"{path.split('/')[-1]}  {d['revision']['commit'][:7]}  {d['date']}")
    for r in d["results"]:
        print(f"  {r['figure']:45} {r['value']:7.1f} {r['baseline']:7.1f}  {r['ratio']:.2f}x")
