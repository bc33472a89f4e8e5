"""Summarise bench/run's hyperfine results into one Markdown table, with the targets checked."""

import json
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

work, size, maxrss, machine, versions, quick = sys.argv[1:7]
work = Path(work)


def results(*groups):
    rows = []
    for group in groups:
        for r in json.loads((work / f"{group}.json").read_text())["results"]:
            times = [t * 1000 for t in r["times"]]
            rows.append((r["command"], statistics.median(times), min(times), max(times)))
    return rows


sections = [
    ("Main job: GetSessionToken with MFA", results("main", "main-awsmfa")),
    ("Role path: AssumeRole with MFA", results("role", "role-awsmfa")),
    ("Long job: exec and exec --server, start to the command running", results("server")),
    ("Start-up", results("startup")),
    ("Scale: 10,000 profiles", results("scale", "scale-complete")),
    ("Agent", results("agent")),
    ("Keys", results("keys")),
]

lines = []
say = lines.append
say("# Benchmarks")
say("")
if quick == "1":
    say("(quick smoke run: one run each, not a measurement)")
    say("")
say(f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/run` against one local moto STS server,")
say("hyperfine medians in milliseconds (warm-up 3, at least 10 runs).")
say("")
say(f"Machine: {machine}.  ")
for v in versions.splitlines():
    say(f"{v}.  ")
say("")
say("| what | tool | median ms | min ms | max ms | mfa-env / tool | mfa-env / curl |")
say("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
medians = {}
for title, rows in sections:
    ours = next((m for name, m, _, _ in rows if name == "mfa-env"), None)
    curl = next((m for name, m, _, _ in rows if name.startswith("curl")), None)
    for name, median, lo, hi in rows:
        medians[(title, name)] = median
        vs_tool = f"{ours / median:.3f}" if ours and name != "mfa-env" else ""
        vs_curl = f"{median / curl:.2f}" if curl and name == "mfa-env" else ""
        say(f"| {title} | {name} | {median:.2f} | {lo:.2f} | {hi:.2f} | {vs_tool} | {vs_curl} |")
size_mb = int(size) / 1e6
say(f"| Footprint | {'debug binary' if quick == '1' else 'release binary (stripped)'} | {size_mb:.2f} MB | | | | |")
say(f"| Footprint | peak memory of the main job (max RSS) | {int(maxrss) / 1024:.1f} MiB | | | | |")
rss_idle, rss_ten, held = (work / "agent-rss").read_text().split()
say(f"| Footprint | agent's resident memory, idle | {int(rss_idle) / 1024:.1f} MiB | | | | |")
say(f"| Footprint | agent's resident memory, holding {held} sessions | {int(rss_ten) / 1024:.1f} MiB | | | | |")
say("")

main = "Main job: GetSessionToken with MFA"
ours = medians[(main, "mfa-env")]
curl = medians[(main, "curl --aws-sigv4")]
peers = {n: m for (t, n), m in medians.items() if t == main and n not in ("mfa-env", "curl --aws-sigv4")}
fastest = min(peers, key=peers.get)
status = medians[("Start-up", "mfa-env status --prompt")]
listing = medians[("Scale: 10,000 profiles", "mfa-env list (10,000 profiles)")]
last = medians[("Scale: 10,000 profiles", "export of the last of 10,000 profiles")]
version = medians[("Agent", "mfa-env --version")]
agent_export = medians[("Agent", "export answered by the agent")]
from_file = medians[("Keys", "export, key in the file")]
from_keyring = medians[("Keys", "export, key in the keyring")]
init_cost = medians[("Start-up", "bash -i, rc with mfa-env init")] - medians[("Start-up", "bash -i, plain rc")]
checks = [
    (f"main job within 1.5x of curl: {ours / curl:.2f}x", ours <= 1.5 * curl),
    (f"main job at least 30x faster than the fastest peer ({fastest}): {peers[fastest] / ours:.1f}x", peers[fastest] >= 30 * ours),
    (f"`status --prompt` under 2 ms: {status:.2f} ms", status < 2),
    (f"`list` on 10,000 profiles under 30 ms: {listing:.2f} ms", listing < 30),
    (
        f"export of the last of 10,000 profiles within 1.5x of `list` on them: {last / listing:.2f}x ({last:.2f} ms against {listing:.2f} ms)",
        last <= 1.5 * listing,
    ),
    (f"stripped release binary under 6 MB: {size_mb:.2f} MB", size_mb < 6),
    (
        f"export answered by the agent within 2x `mfa-env --version`: {agent_export / version:.2f}x ({agent_export:.2f} ms against {version:.2f} ms)",
        agent_export <= 2 * version,
    ),
    (
        f"export with the key from the keyring within 2x of the key from the file: {from_keyring / from_file:.2f}x ({from_keyring:.2f} ms against {from_file:.2f} ms)",
        from_keyring <= 2 * from_file,
    ),
]
if quick == "1":
    say("Targets: not checked in a quick run (debug build, one run each).")
    print("\n".join(lines))
    sys.exit(0)
say("Targets:")
say("")
for text, ok in checks:
    say(f"- {'met' if ok else 'MISSED'}: {text}")
say(f"- (measured, no target) `eval \"$(mfa-env init bash)\"` adds {init_cost:.2f} ms to an interactive bash start")
print("\n".join(lines))
