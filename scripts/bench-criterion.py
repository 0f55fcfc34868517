#!/usr/bin/env python3
"""Reads what `cargo bench --bench handler_overhead` left in target/criterion and writes the
handler-overhead figures as JSON for bench-report.py. Usage: bench-criterion.py CRITERION OUT
"""
import json
import os
import sys

ROOT, OUT = sys.argv[1], sys.argv[2]
# Success paths; the DynamoDB calls each makes (the round-trip test asserts these) and its SES
# calls (the request sends its mail through the SES client, over the same fake transport).
ENDPOINTS = [("create_profile", 1, 0), ("show_profile", 1, 0), ("activate", 2, 0),
             ("deactivate", 2, 0), ("password_change_request", 3, 1), ("add_password", 2, 0),
             ("login", 4, 0), ("login_second_step", 3, 0), ("login_passkey", 3, 0),
             ("password_change_confirm", 3, 0)]
HASHING = {"add_password", "login", "password_change_confirm"}


def median_us(group, bench):
    path = os.path.join(ROOT, group, bench, "new", "estimates.json")
    if not os.path.exists(path):
        sys.exit(f"bench-criterion: {path} is missing (did the handler_overhead bench run?)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)["median"]["point_estimate"] / 1000.0


def main():
    sdk = median_us("component_cpu", "sdk_get_item")
    endpoints = []
    for name, calls, ses_calls in ENDPOINTS:
        cpu = median_us("handler_cpu", name)
        endpoints.append({
            "name": name.replace("_", " "),
            "median_us": cpu,
            "wall_us": median_us("handler", name),
            "dynamodb_calls": calls,
            "ses_calls": ses_calls,
            "hashes": name in HASHING,
            # The same CPU time without the time inside the SDK's operations, measured on
            # the same thread by an interceptor (handler_ours): our code's share.
            "ours_us": median_us("handler_ours", name),
        })
    components = [{"name": bench.replace("_", " "), "median_us": median_us("component_cpu", bench)}
                  for bench in ["sdk_get_item", "store_get_profile", "jwt_verify_same_token",
                                "introspection_cache_hit", "company_config_cache_hit",
                                "password_policy_add_password", "password_policy_confirm",
                                "log_line_json", "fake_transport_answer"]]
    method = (
        "`cargo bench -p idp-core --bench handler_overhead` (criterion, release profile; "
        "`shared/benches/handler_overhead.rs`). Each endpoint's real handler, with the real "
        "store and the real AWS SDK client, over an in-process HTTP transport that answers "
        "every DynamoDB (and SES) call at once with the items the real code wrote (captured "
        "through the handlers at set-up): no network, no disk. Warm instance: company "
        "configuration cached, the same HS256 token each time. The figure is the CPU time of "
        "the thread running the handler (`/proc/thread-self/schedstat`), which the busy machine "
        "disturbs less than wall time. For the three endpoints that hash, the argon2 work runs "
        "on a blocking thread and is not in the figure (the cheapest hash `HashParams` allows "
        "takes 12–24 ms, too noisy to subtract), but zxcvbn's policy check and the cache misses "
        "the hash causes are. *Ours* (`handler_ours`) is the same CPU time without what the "
        "thread spent inside the SDK's operations (DynamoDB and SES), timed by an SDK "
        "interceptor from each operation's first hook to its last with the thread's CPU clock: "
        "serialisation, signing, endpoint resolution, retries and timeouts, deserialisation. "
        "The fluent builders and what the SDK does before its first hook stay in ours. For "
        f"scale, one whole GetItem through the SDK and the fake (`sdk_get_item`) is {sdk:.1f} µs.")
    json.dump({"method": method, "sdk_call_us": sdk, "endpoints": endpoints,
               "components": components}, open(OUT, "w", encoding="utf-8"), indent=1)


if __name__ == "__main__":
    main()
