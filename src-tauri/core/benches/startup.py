# CLI start-up, before vs after, interleaved in one run: each command as a whole process, N runs each.
# usage: startup2.py BEFORE AFTER DATA_DIR N WORD
import subprocess, sys, time, statistics, os
before, after, data, n, word = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
env = dict(os.environ); env.pop("WICKET_DATA_DIR", None)
shapes = {"--version": ["--version"], "conversations --limit 50 --json": ["conversations", "--limit", "50", "--json"],
          f"search {word} --limit 50 --json": ["search", word, "--limit", "50", "--json"]}
cmds = {(b, k): [path, "--data-dir", data] + a for b, path in (("before", before), ("after", after)) for k, a in shapes.items()}
times = {k: [] for k in cmds}
for c in cmds.values():
    subprocess.run(c, stdout=subprocess.DEVNULL, check=True, env=env)
print("load average before:", open('/proc/loadavg').read().strip())
for i in range(n):
    for k, c in cmds.items():
        t = time.perf_counter_ns()
        subprocess.run(c, stdout=subprocess.DEVNULL, check=True, env=env)
        times[k].append((time.perf_counter_ns() - t) / 1e6)
print("load average after: ", open('/proc/loadavg').read().strip())
for b in ("before", "after"):
    base = statistics.median(times[(b, "--version")])
    for k in shapes:
        v = sorted(times[(b, k)])
        print(f"{b:<6} {k:<34} median {statistics.median(v):6.2f} ms  p95 {v[int(len(v)*0.95)]:6.2f} ms  median over --version {statistics.median(v)-base:+6.2f} ms")
