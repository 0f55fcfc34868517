#!/usr/bin/env python3
"""Writes docs/benchmarks.md and its charts from what `make bench` measured (.local/bench/).

Every figure comes from a file one of the bench steps wrote in this run; a missing file stops
the report (a page with a hole is worse than no page). Usage: bench-report.py BENCH_DIR DOCS_DIR
"""
import html
import json
import os
import platform
import subprocess
import sys

BENCH, DOCS = sys.argv[1], sys.argv[2]
# The functions template.yaml deploys (each one's `BuildProperties: Binary:`), in its order.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "template.yaml")) as t:
    FUNCTIONS = [line.split(":", 1)[1].strip() for line in t if line.strip().startswith("Binary:")]


def load(name):
    path = os.path.join(BENCH, name)
    if not os.path.exists(path):
        sys.exit(f"bench-report: {path} is missing: run `make bench`, not this script alone")
    with open(path, encoding="utf-8") as f:
        if name.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return json.load(f)


def verdict(ok):
    return "**met**" if ok else "**not met**"


def bar_chart(path, title, unit, categories, series, target=None):
    """A grouped horizontal bar chart as a standalone SVG. series: [(label, colour, values)]."""
    bar, gap, left, right, top = 14, 10, 150, 90, 40
    group = bar * len(series) + gap
    height = top + group * len(categories) + 50
    width = 760
    top_value = max([v for _, _, values in series for v in values if v is not None] +
                    ([target] if target else []))
    scale = (width - left - right) / (top_value * 1.05)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    for i, category in enumerate(categories):
        y0 = top + i * group
        out.append(f'<text x="{left - 8}" y="{y0 + bar * len(series) / 2 + 4}" '
                   f'text-anchor="end">{html.escape(category)}</text>')
        for j, (label, colour, values) in enumerate(series):
            value = values[i]
            if value is None:
                continue
            y = y0 + j * bar
            w = max(1.0, value * scale)
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{colour}">'
                       f'<title>{html.escape(label)}: {value:.2f} {unit}</title></rect>')
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 4}">{value:.1f}</text>')
    if target:
        x = left + target * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 40}" '
                   f'stroke="#c00" stroke-dasharray="4,3"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{top - 8}" fill="#c00">target {target:g} {unit}</text>')
    legend_y = height - 18
    x = left
    for label, colour, _ in series:
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{legend_y}">{html.escape(label)} ({unit})</text>')
        x += 30 + 7 * len(label) + 7 * len(unit)
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def machine(commit=None):
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    if commit is None:  # a run from before bench.sh recorded its commit: the tree as it is now
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        commit += " with uncommitted changes" if dirty else ""
    return f"{os.cpu_count()} cores ({cpu}), {platform.machine()}, {rustc}, commit {commit}"


def main():
    password = load("password.json")
    cold = load("cold-start.json")
    bare = load("cold-start-no-warm-up.json")
    sizes = load("sizes.json")
    trips = load("round-trips.jsonl")
    overhead = load("handler-overhead.json")
    throughput = load("throughput.json")
    meta = load("meta.json")

    lines = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(f"Written by `make bench` (`scripts/bench.sh`) on {meta['finished']}, in {meta['seconds'] // 60} min "
        f"{meta['seconds'] % 60} s, on {machine(meta.get('commit'))}. Do not edit by hand: run `make bench` again.")
    add("")
    add("The machine is small and shared, so every figure is a median of repeated samples, and "
        "the comparisons that matter are ratios measured side by side in the same run (each "
        "pair alternated), not absolute times.")
    add("")

    # ------------------------------------------------------------------ summary
    hello = bare["binaries"]["hello-world"]
    ready_ratios = bare["ratio_median_ready_to_hello_world"]
    worst_ready = max(ready_ratios[f] for f in FUNCTIONS)
    ref = password["reference"]
    step_rate = password["verification_rate"]["per_second"]
    rate_before = load("rate-before.json")["verification_rate"]
    rate_after = load("rate-after.json")["verification_rate"]
    # The login run's denominator: the pure rate measured right before and right after it.
    rate = (rate_before["per_second"] + rate_after["per_second"]) / 2
    login_rate = throughput["login_per_second"]
    search = load("search.json")
    trip_target = trips_verdicts(trips)
    handler_rows = overhead["endpoints"]
    worst_handler = max(r["median_us"] for r in handler_rows)
    biggest = max(b["bootstrap_bytes"] for b in sizes["binaries"] if b["function"] in FUNCTIONS)
    add("## Targets")
    add("")
    add("| what | target | measured | |")
    add("|---|---|---|---|")
    add(f"| cold start: init (spawn → ready for the first event), without the DynamoDB warm-up | "
        f"every function ≤ 1.5 × hello-world | worst {worst_ready:.2f} × (hello-world "
        f"{hello['ready_ms']['median']:.1f} ms) | {verdict(worst_ready <= 1.5)} |")
    add(f"| argon2id hash, ours vs the C reference | ≤ 1.1 × | {ref['cpu_ratio']:.2f} × in CPU time, "
        f"{ref['wall_ratio']:.2f} × in wall time | {verdict(ref['cpu_ratio'] <= 1.1)} |")
    add(f"| DynamoDB round trips per operation (sequential rounds) | create 1, show 1, status 2 (read, "
        f"then the change with its audit event), "
        f"add password ≤ 2, update ≤ 2, delete ≤ 2, login ≤ 4 (two reads, the attempt counted before "
        f"the hash and cleared after it), request ≤ 3 (its audit event after the token), confirm ≤ 3, "
        f"a search page ≤ 2 | see the table | {verdict(all(trip_target.values()))} |")
    worst_ours = max(r["ours_us"] for r in handler_rows if not r["hashes"])
    hashing_ours = [r["ours_us"] for r in handler_rows if r["hashes"]]
    add(f"| handler overhead, no hash, no I/O | < 50 µs per request | without the time inside "
        f"the AWS SDK's operations: worst {worst_ours:.1f} µs on the endpoints that "
        f"do not check a password ({verdict(worst_ours < 50)}), {min(hashing_ours):.0f}–"
        f"{max(hashing_ours):.0f} µs on the three that do (zxcvbn and the cache refill after the hash); "
        f"with the SDK, worst {worst_handler:.1f} µs | "
        f"{verdict(max(worst_ours, *hashing_ours) < 50)} |")
    add(f"| login throughput vs pure hash rate (mean of right before and right after), same cores "
        f"| ≥ 80 % | {login_rate:.1f}/s vs {rate:.1f}/s = {100 * login_rate / rate:.0f} % | "
        f"{verdict(login_rate >= 0.8 * rate)} |")
    for line in search_targets(search):
        add(line)
    events = load("events.json") if os.path.exists(os.path.join(BENCH, "events.json")) else None
    if events:
        for line in events_targets(events):
            add(line)
    add(f"| release binary per function (arm64) | ≤ 8 MB | largest {biggest / 1e6:.2f} MB | "
        f"{verdict(biggest <= 8e6)} |")
    imports = load("import.json") if os.path.exists(os.path.join(BENCH, "import.json")) else None
    if imports:
        for line in import_targets(imports):
            add(line)
    enumeration = (load("enumeration.json")
                   if os.path.exists(os.path.join(BENCH, "enumeration.json")) else None)
    if enumeration:
        for line in enumeration_targets(enumeration):
            add(line)
    add("")

    # ------------------------------------------------------------------ cold start
    add("## Cold start")
    add("")
    add(f"`bash scripts/bench-cold-start.sh {cold['rounds']}` (`make bench` runs it): "
        + cold["method"])
    add("")
    add(f"Rounds: {cold['rounds']} per mode; each mode alternates every function with its own "
        "hello-world samples. *As deployed*, init ends with one `GetItem` that opens the DynamoDB "
        "connection (`Store::warm_up`); *without warm-up* (`DYNAMODB_WARM_UP=false`) init is the "
        "function's own set-up only, which is what compares with hello-world. DynamoDB Local (in "
        "memory, Java) on loopback answers the DynamoDB calls; it is slower per call than "
        "DynamoDB in a region, especially for transactions, so first responses are not AWS figures.")
    own = cold.get("function_env") or {}
    if own:
        add("")
        add("Each binary also gets what template.yaml sets for it alone: "
            + "; ".join(f"{name}: " + ", ".join(f"`{k}={v}`" for k, v in sorted(env.items()))
                        for name, env in sorted(own.items())) + ".")
    add("")
    add("| binary | request | init without warm-up: median (p90) | ÷ hello-world | init as deployed: median (p90) "
        "| first response as deployed: median (p90) | first response without warm-up | errors |")
    add("|---|---|---|---|---|---|---|---|")
    for name in ["hello-world"] + FUNCTIONS:
        b, w = bare["binaries"][name], cold["binaries"][name]
        ratio = "1.00" if name == "hello-world" else f"{ready_ratios[name]:.2f}"
        add(f"| {name} | {w['request']} | {b['ready_ms']['median']:.1f} ms ({b['ready_ms']['p90']:.1f}) | {ratio} "
            f"| {w['ready_ms']['median']:.1f} ms ({w['ready_ms']['p90']:.1f}) "
            f"| {w['first_response_ms']['median']:.1f} ms ({w['first_response_ms']['p90']:.1f}) "
            f"| {b['first_response_ms']['median']:.1f} ms | {w['errors'] + b['errors']} |")
    add("")
    names = ["hello-world"] + FUNCTIONS
    bar_chart(os.path.join(DOCS, "bench-cold-start.svg"), "Cold start on loopback (median)", "ms", names,
              [("init without warm-up", "#76b7b2", [bare["binaries"][n]["ready_ms"]["median"] for n in names]),
               ("init as deployed", "#4e79a7", [cold["binaries"][n]["ready_ms"]["median"] for n in names]),
               ("first response as deployed", "#f28e2b",
                [cold["binaries"][n]["first_response_ms"]["median"] for n in names])])
    add("![cold start chart](bench-cold-start.svg)")
    add("")
    if "notes" in cold:
        add(cold["notes"])
        add("")

    # ------------------------------------------------------------------ password hash
    p = password["parameters"]
    add("## Password hash")
    add("")
    add("`BENCH_JSON=… cargo bench -p idp-core --bench password_hash` (release profile). Ours is "
        "`Passwords::hash` (the `argon2` crate on a blocking thread); the C reference is Debian's "
        "`argon2` command (package `argon2`, the reference implementation's CLI) with the same "
        f"parameters (m={p['memory_kib']} KiB, t={p['iterations']}, p={p['parallelism']}, 32-byte "
        f"output), alternated with ours, {ref['runs']} runs each. The CLI reports `clock()` around "
        "its hash (CPU time); its wall time is the process's minus that of a near-empty hash "
        "(start-up). Our CPU time is the thread's own (`/proc/thread-self/schedstat`).")
    add("")
    add("| | ours | C reference | ratio (ours / C) |")
    add("|---|---|---|---|")
    add(f"| CPU time, median | {ref['own_cpu_median_ms']:.2f} ms | {ref['reference_cpu_median_ms']:.2f} ms | {ref['cpu_ratio']:.2f} |")
    add(f"| wall time, median | {ref['own_wall_median_ms']:.2f} ms | {ref['reference_wall_median_ms']:.2f} ms | {ref['wall_ratio']:.2f} |")
    add("")
    add("Hash and verification at the default and at two stronger settings:")
    add("")
    add("| parameters | hash median | hash min | verify median |")
    add("|---|---|---|---|")
    for row in password["sets"]:
        add(f"| {row['parameters']} | {row['hash_median_ms']:.1f} ms | {row['hash_min_ms']:.1f} ms | {row['verify_median_ms']:.1f} ms |")
    add("")

    # ------------------------------------------------------------------ round trips
    add("## DynamoDB round trips per operation")
    add("")
    add("Counted exactly by an SDK interceptor on the client of the handler tests "
        "(`shared/tests/round_trips.rs`; `make test` asserts every count below, `make bench` "
        "records what it asserted with `ROUND_TRIPS_JSONL`). A round trip is one DynamoDB "
        "operation (a `TransactWriteItems` or `Query` is one); attempts count SDK "
        "retries; sequential rounds are the longest chain of operations each sent after the "
        "one before it had answered (operations sent together are one round, as a search's "
        "shard queries are). The company configuration is already cached, as on a warm "
        "instance.")
    add("")
    add("| operation | round trips | sequential rounds | operations | attempts | target |")
    add("|---|---|---|---|---|---|")
    targets = dict(TRIP_TARGETS)
    for row in sorted(trips, key=lambda r: (order(r["what"]), r["what"])):
        target = targets.get(row["what"])
        rounds = row.get("rounds", len(row["operations"]))
        mark = "" if target is None else f"≤ {target} rounds ({'met' if rounds <= target else 'NOT met'})"
        add(f"| {row['what']} | {len(row['operations'])} | {row.get('rounds', '–')} | "
            f"{', '.join(row['operations']) or '–'} | "
            f"{row['attempts']} | {mark} |")
    add("")
    add("A login that must also write (the first success after failures resets the lockout "
        "counter; a hash made with older parameters is upgraded) is 3: that write can only "
        "follow the read and the verification. It happens once; the next login is 2 again.")
    add("")

    # ------------------------------------------------------------------ handler overhead
    add("## Handler overhead (no hash, no I/O)")
    add("")
    add(overhead["method"])
    add("")
    add("| endpoint (success path) | CPU median | wall median | SDK calls (DynamoDB + SES) | ours (CPU without the SDK's operations) | target < 50 µs, on ours |")
    add("|---|---|---|---|---|---|")
    for row in handler_rows:
        wall = "(includes the hash)" if row["hashes"] else f"{row['wall_us']:.1f} µs"
        add(f"| {row['name']} | {row['median_us']:.1f} µs | {wall} | {row['dynamodb_calls']}{' + ' + str(row['ses_calls']) if row.get('ses_calls') else ''} | "
            f"{row['ours_us']:.1f} µs | {verdict(row['ours_us'] < 50)} |")
    add("")
    if overhead.get("components"):
        add("Components measured apart (already inside the figures above where the endpoint does them):")
        add("")
        add("| component | median |")
        add("|---|---|")
        for row in overhead["components"]:
            add(f"| {row['name']} | {row['median_us']:.1f} µs |")
        add("")
    bar_chart(os.path.join(DOCS, "bench-handler-overhead.svg"),
              "Handler CPU per request, no hash, no I/O (median)", "µs",
              [r["name"] for r in handler_rows],
              [("handler", "#59a14f", [r["median_us"] for r in handler_rows]),
               ("ours (without the SDK)", "#b07aa1", [r["ours_us"] for r in handler_rows])],
              target=50)
    add("![handler overhead chart](bench-handler-overhead.svg)")
    add("")

    # ------------------------------------------------------------------ throughput
    add("## Login throughput vs the hash rate")
    add("")
    add(throughput["method"])
    add("")
    add("| | per second | |")
    add("|---|---|---|")
    cores = rate_before["cores"]
    add(f"| pure argon2id verifications, {cores} in flight (`password_hash` bench, "
        f"{rate_before['seconds']} s), right before the run | {rate_before['per_second']:.1f} | |")
    add(f"| the same, right after the run | {rate_after['per_second']:.1f} | |")
    add(f"| their mean: the denominator | {rate:.1f} | 100 % |")
    add(f"| logins, {throughput['detail']} | {login_rate:.1f} | {100 * login_rate / rate:.0f} % |")
    add(f"| for comparison: the same rate at the start of `make bench` (step 1) | {step_rate:.1f} | "
        f"{100 * login_rate / step_rate:.0f} % |")
    add("")
    if throughput.get("notes"):
        add(throughput["notes"])
        add("")

    # ------------------------------------------------------------------ search
    search_section(search, add)

    # ------------------------------------------------------------------ audit trail
    if events:
        events_section(events, add)

    # ------------------------------------------------------------------ import
    if imports:
        import_section(imports, sizes, add)

    # ------------------------------------------------------------------ enumeration
    if enumeration:
        enumeration_section(enumeration, add)

    # ------------------------------------------------------------------ sizes
    add("## Release binaries (arm64)")
    add("")
    add("`bash scripts/bench-sizes.sh`: `cargo lambda build --release --arm64` (what `sam build` "
        "runs), each bootstrap and its zip (deflate, level 9), with the largest ELF sections. "
        f"Build took {sizes['build_seconds']} s in this run.")
    add("")
    add("| binary | bootstrap | zip | .text | .rodata | .eh_frame | target ≤ 8 MB |")
    add("|---|---|---|---|---|---|---|")
    for b in sizes["binaries"]:
        s = b["sections"]
        add(f"| {b['function']} | {b['bootstrap_bytes'] / 1e6:.2f} MB | {b['zip_bytes'] / 1e6:.2f} MB | "
            f"{s.get('.text', 0) / 1e6:.2f} MB | {s.get('.rodata', 0) / 1e6:.2f} MB | "
            f"{s.get('.eh_frame', 0) / 1e6:.2f} MB | "
            f"{'' if b['function'] == 'hello-world' else verdict(b['bootstrap_bytes'] <= 8e6)} |")
    add("")
    static = os.path.join(DOCS, "benchmarks-notes.md")
    if os.path.exists(static):
        add(open(static, encoding="utf-8").read().rstrip())
        add("")

    with open(os.path.join(DOCS, "benchmarks.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    print("bench-report: wrote docs/benchmarks.md, docs/bench-cold-start.svg, docs/bench-handler-overhead.svg")


# The targets of the performance issue, for the success paths the round-trip test names.
TRIP_TARGETS = [
    ("create", 1), ("show", 1), ("activate", 2), ("deactivate", 2), ("add password", 2),
    ("login", 4), ("password-change request", 3), ("password-change confirm", 3),
    ("update, e-mail moved", 2), ("delete", 2), ("search, no filter", 2), ("search, by e-mail", 2),
]
ORDER = ["create", "show", "activate", "deactivate", "add password", "update", "delete", "login",
         "password-change request", "password-change confirm", "search", "warm-up"]


def search_rows(search):
    """(shape, small, large) figures for the two sizes of each shape."""
    for shape in search["shapes"]:
        sizes = sorted(shape["sizes"], key=lambda s: s["size"])
        yield shape, sizes[0], sizes[-1]


def size_verdicts(rows):
    """Whether every shape read the same items at both sizes, and the worst p50 ratio."""
    same_items = all(s["figures"]["items_read_min"] == l["figures"]["items_read_min"]
                     and s["figures"]["items_read_max"] == l["figures"]["items_read_max"]
                     for _, s, l in rows)
    ratios = {shape["shape"]: l["figures"]["p50_ms"] / s["figures"]["p50_ms"] for shape, s, l in rows}
    return same_items, ratios, max(ratios, key=ratios.get)


def search_targets(search):
    rows = list(search_rows(search))
    same_items, ratios, worst = size_verdicts(rows)
    rounds = max(max(s["figures"]["rounds_max"], l["figures"]["rounds_max"]) for _, s, l in rows)
    requests = max(max(s["figures"]["requests_max"], l["figures"]["requests_max"]) for _, s, l in rows)
    small, large = rows[0][1]["size"], rows[0][2]["size"]
    create = search["create"]
    yield (f"| search: items read per page, {small:,} vs {large:,} profiles | identical | "
           f"{'identical in every shape' if same_items else 'they differ: see Search'} | {verdict(same_items)} |")
    yield (f"| search: p50 at {large:,} ÷ p50 at {small:,} | ≤ 1.25 | worst {ratios[worst]:.2f} "
           f"({worst}) | {verdict(ratios[worst] <= 1.25)} |")
    yield (f"| search: DynamoDB round trips per page | ≤ 2 | {rounds} sequential rounds at most "
           f"(up to {requests} requests: the listing's 8 shard queries go out together) | "
           f"{verdict(rounds <= 2)} |")
    yield (f"| create with the indexes | 1 round trip | {create['round_trips']} (one "
           f"`TransactWriteItems`) | {verdict(create['round_trips'] == 1)} |")


def events_targets(events):
    rows = list(search_rows(events))
    same_items, ratios, worst = size_verdicts(rows)
    small, large = rows[0][1]["size"], rows[0][2]["size"]
    yield (f"| audit trail: items read per company page, {small:,} vs {large:,} events | identical | "
           f"{'identical in every shape' if same_items else 'they differ: see Audit trail'} | "
           f"{verdict(same_items)} |")
    yield (f"| audit trail: p50 at {large:,} ÷ p50 at {small:,} | ≤ 1.25 | worst {ratios[worst]:.2f} "
           f"({worst}) | {verdict(ratios[worst] <= 1.25)} |")


def events_section(events, add):
    add("## Audit trail at two company sizes")
    add("")
    add(events["method"] + ". Seeding, through `BatchWriteItem` of the store's own event items: "
        + ", ".join(f"{s['size']:,} events in {s['seconds']} s" for s in events["seeding"]) + ".")
    add("")
    add("Items read are what DynamoDB evaluated for the page (each shard query's `ScannedCount`, "
        "8 shards of the company-events index, each asked for the page + 2): the page's cost, "
        "whatever the company holds.")
    add("")
    add("| page | size | items read | p50 | p99 | pages measured |")
    add("|---|---|---|---|---|---|")
    for shape, small, large in search_rows(events):
        for row in (small, large):
            f = row["figures"]
            items = (str(f["items_read_max"]) if f["items_read_min"] == f["items_read_max"]
                     else f"{f['items_read_min']}–{f['items_read_max']}")
            add(f"| {shape['shape']} | {row['size']:,} | {items} | {f['p50_ms']:.1f} ms | "
                f"{f['p99_ms']:.1f} ms | {f['pages']} |")
    add("")


def search_section(search, add):
    add("## Search at two company sizes")
    add("")
    add(search["method"] + ". Seeding, through `BatchWriteItem` of the items a create writes: "
        + ", ".join(f"{s['size']:,} profiles in {s['seconds']} s" for s in search["seeding"]) + ".")
    add("")
    add("Items read are index entries (each query's `Count`) plus profile items (the "
        "`BatchGetItem` responses), counted by `Store::search` on every page; requests are "
        "`Query` and `BatchGetItem` calls; rounds are the sequential waits (the 8 shard queries "
        "of a listing are sent together and are one).")
    add("")
    add("| page | size | items read | of which index entries / profiles | requests | rounds | p50 | p99 | pages measured |")
    add("|---|---|---|---|---|---|---|---|---|")
    for shape, small, large in search_rows(search):
        for row in (small, large):
            f = row["figures"]
            items = (str(f["items_read_max"]) if f["items_read_min"] == f["items_read_max"]
                     else f"{f['items_read_min']}–{f['items_read_max']}")
            add(f"| {shape['shape']}: {shape['what']} | {row['size']:,} | {items} | "
                f"{f['entries_read_max']} / {f['profiles_read_max']} | {f['requests_max']} | "
                f"{f['rounds_max']} | {f['p50_ms']:.1f} ms | {f['p99_ms']:.1f} ms | {f['pages']} |")
    add("")
    create = search["create"]
    add("What the indexes add to a create (the demo form with all ten fields, one "
        "`TransactWriteItems` with `ReturnConsumedCapacity=INDEXES`, as DynamoDB Local reports it):")
    add("")
    add("| | items | write units |")
    add("|---|---|---|")
    add(f"| the table: the profile item ({create['profile_item_bytes']} B) and its reservations | "
        f"{create['items_written']} | {create['table_write_units']:g} |")
    add(f"| the indexes: one entry per index whose attribute the profile has | "
        f"{create['index_entries']} | {create['index_write_units']:g} |")
    add(f"| total (before the indexes: the table's alone) | {create['items_written'] + create['index_entries']} | "
        f"{create['total_write_units']:g} |")
    add("")


def import_rates(imports):
    raw = imports["raw"]["lines_per_second"]
    ours = imports["large"] / imports["import_large"]["seconds"]
    return raw, ours


def memory_ratio(imports, what):
    small = imports[f"{what}_small"]["max_rss_kib"]
    large = imports[f"{what}_large"]["max_rss_kib"]
    return small, large, large / small


def import_targets(imports):
    raw, ours = import_rates(imports)
    large, small = imports["large"], imports["small"]
    yield (f"| import of {large:,} lines vs the same transactions issued directly, "
           f"{imports['concurrency']} at a time | ≥ 80 % | {ours:.0f} vs {raw:.0f} lines/s = "
           f"{100 * ours / raw:.0f} % | {verdict(ours >= 0.8 * raw)} |")
    for what in ("import", "export"):
        s, l, ratio = memory_ratio(imports, what)
        yield (f"| {what}: peak resident memory, {large:,} vs {small:,} lines | within ± 20 % | "
               f"{l / 1024:.1f} vs {s / 1024:.1f} MiB ({ratio:.2f} ×) | "
               f"{verdict(0.8 <= ratio <= 1.2)} |")


def enumeration_targets(enumeration):
    for op in enumeration["operations"]:
        yield (f"| {op['operation']}: median, known ÷ unknown identifier ({op['samples']} alternated "
               f"samples each) | within 20 % | {op['known_median_ms']:.1f} vs "
               f"{op['unknown_median_ms']:.1f} ms = {op['ratio']:.3f} | "
               f"{verdict(op['within_20_percent'])} |")


def enumeration_section(enumeration, add):
    add("## Known vs unknown identifiers")
    add("")
    if enumeration.get("finished"):
        add(f"Measured on {enumeration['finished']} at commit {enumeration['commit']} "
            "(`bash scripts/bench-enumeration.sh`, step 3 of `make bench`).")
        add("")
    add(enumeration["method"] + ".")
    add("")
    add("| operation | known: median | unknown: median | known: p90 | unknown: p90 | ratio of medians |")
    add("|---|---|---|---|---|---|")
    for op in enumeration["operations"]:
        add(f"| {op['operation']} | {op['known_median_ms']:.1f} ms | {op['unknown_median_ms']:.1f} ms | "
            f"{op['known_p90_ms']:.1f} ms | {op['unknown_p90_ms']:.1f} ms | {op['ratio']:.3f} |")
    add("")
    add("Both make the same DynamoDB requests for either identifier (asserted in "
        "`shared/tests/round_trips.rs`); the login's remaining gap is the known profile's "
        "`Query` returning its items and its attempt's write succeeding where the unknown one's "
        "is refused. The password-change request answers no sooner than "
        "`password_change.min_response_ms` (400 ms) with `prevent_user_existence_errors`, since "
        "only a known profile's request sends mail.")
    add("")


def import_section(imports, sizes, add):
    raw, ours = import_rates(imports)
    add("## Import and export")
    add("")
    if imports.get("finished"):
        add(f"Measured on {imports['finished']} at commit {imports['commit']} "
            "(`bash scripts/bench-import.sh`, step 3 of `make bench`).")
        add("")
    add(f"`bash scripts/bench-import.sh`: {imports['large']:,} generated lines (the demo form, "
        "six fields, three identifiers, an argon2id hash kept as it is: five items and twelve "
        "index entries per line). The raw rate is `bench/src/bin/import-raw.rs`. It reads the same "
        "file, prepares every line's items before the clock starts, and times one "
        "`TransactWriteItems` per line at the same concurrency. "
        "Each of the two runs gets a DynamoDB Local of its own, started fresh, so neither "
        "writes into the other's items. Peak resident memory is the child's `ru_maxrss`.")
    add("")
    add("| run | lines | seconds | lines/s | peak RSS |")
    add("|---|---|---|---|---|")
    add(f"| raw transactions ({imports['concurrency']} at a time) | {imports['raw']['lines']:,} | "
        f"{imports['raw']['seconds']:.1f} | {raw:.0f} | — |")
    for key, label in (("import_large", "idp-admin import"), ("import_small", "idp-admin import"),
                       ("export_large", "idp-admin export"), ("export_small", "idp-admin export")):
        run = imports[key]
        count = imports["large"] if key.endswith("large") else imports["small"]
        add(f"| {label} | {count:,} | {run['seconds']:.1f} | {count / run['seconds']:.0f} | "
            f"{run['max_rss_kib'] / 1024:.1f} MiB |")
    add("")
    add(f"The import's own summary of the large run: `{imports['summary_large']}`.")
    add("")
    verify = imports["verify"]
    add(f"Login verification per imported family (`bench/src/bin/legacy-verify.rs`: in process, "
        f"medians of {verify['samples']}). *First login* is what the first login runs against "
        "what import stored: the family's check (through the argon2id wrapper when it was "
        "weak) plus the argon2id hash that replaces it. *Upgraded* is every later login. "
        f"Reference: a native argon2id hash at {verify['params']}, verified in "
        f"{verify['reference_ms']:.1f} ms.")
    add("")
    add("| family (vector source) | stored | first login | upgraded | first ÷ reference |")
    add("|---|---|---|---|---|")
    for row in verify["formats"]:
        add(f"| {row['format']} ({row['source']}) | {'wrapped' if row['wrapped'] else 'as imported'} | "
            f"{row['first_ms']:.1f} ms | {row['upgraded_ms']:.1f} ms | "
            f"{row['first_ms'] / verify['reference_ms']:.1f} × |")
    add("")
    before = os.path.join(BENCH, "sizes-before-import.json")
    if os.path.exists(before):
        old = {b["function"]: b["bootstrap_bytes"] for b in json.load(open(before))["binaries"]}
        new = {b["function"]: b["bootstrap_bytes"] for b in sizes["binaries"]}
        if "login" in old and "login" in new:
            add(f"The login function's release binary (arm64) before the imported families' "
                f"crates: {old['login'] / 1e6:.2f} MB; with them: {new['login'] / 1e6:.2f} MB "
                f"({(new['login'] - old['login']) / 1e3:+.0f} KB; the target stays ≤ 8 MB).")
            add("")


def order(what):
    for i, prefix in enumerate(ORDER):
        if what.startswith(prefix):
            return i
    return len(ORDER)


def trips_verdicts(trips):
    # Judged in sequential rounds (docs/design.md, "Search"): operations sent together are one.
    seen = {row["what"]: row.get("rounds", len(row["operations"])) for row in trips}
    verdicts = {}
    for what, target in TRIP_TARGETS:
        if what not in seen:
            sys.exit(f"bench-report: the round-trip test recorded nothing for {what!r}")
        verdicts[what] = seen[what] <= target
    return verdicts


if __name__ == "__main__":
    main()
