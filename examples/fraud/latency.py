#!/usr/bin/python3
"""Client-observed Score latency from Python, one channel, sequential calls.

Sends --calls Score requests (features as of now, no explanation) for the
entities of a CSV (account_id, device_id columns, e.g. an exported scores
table), then as many with FAST explanations, then as many empty health
checks on the same channel for scale, after --warmup calls of each. Prints
p50/p90/p99 per kind. These are round trips of Debian's python3-grpcio
client, whose own cost is a good part of them; Score's excess over the empty
call is about what the server adds (feature reads, trees, a larger message).
The C++ load generator's loopback figures are in bench/README.md.

Needs the stubs the build generates (build/python on PYTHONPATH):

  PYTHONPATH=build/python /usr/bin/python3 examples/fraud/latency.py \\
      --server 127.0.0.1:50051 --model mistplay_fraud_model@Production --entities scores.csv
"""

import argparse
import csv
import os
import json
import sys
import time

import grpc

from fstore.v1 import common_pb2, serving_pb2, serving_pb2_grpc


def percentiles(samples_ns):
    s = sorted(samples_ns)

    def q(p):
        return s[min(len(s) - 1, int(round(p * (len(s) - 1))))] / 1000.0

    return {"p50_us": q(0.50), "p90_us": q(0.90), "p99_us": q(0.99),
            "mean_us": sum(s) / len(s) / 1000.0}


def timed(fn, requests, warmup):
    for r in requests[:warmup]:
        fn(r)
    out = []
    for r in requests[warmup:]:
        t = time.perf_counter_ns()
        fn(r)
        out.append(time.perf_counter_ns() - t)
    return out


def open_channel(server, tls_ca):
    """A channel to fsd: TLS when given the CA that signed fsd's certificate
    (--tls-ca or $FSTORE_TLS_CA), else plain text (loopback only)."""
    if not tls_ca:
        return grpc.insecure_channel(server)
    with open(tls_ca, "rb") as f:
        return grpc.secure_channel(server, grpc.ssl_channel_credentials(root_certificates=f.read()))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--server", required=True)
    p.add_argument("--tls-ca", default=os.environ.get("FSTORE_TLS_CA", ""),
                   help="CA certificate of a TLS fsd (default: $FSTORE_TLS_CA)")
    p.add_argument("--token", default=os.environ.get("FSTORE_TOKEN", ""),
                   help="bearer token of an fsd that checks tokens (default: $FSTORE_TOKEN)")
    p.add_argument("--model", required=True, help="NAME@STAGE, NAME@ALIAS or NAME:VERSION")
    p.add_argument("--entities", required=True, help="CSV with account_id and device_id columns")
    p.add_argument("--calls", type=int, default=500, help="measured calls per kind (default 500)")
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--amount", type=float, default=100.0, help="request field amount")
    p.add_argument("--type-code", type=int, default=1, help="request field type_code")
    p.add_argument("--json", help="also write the figures as JSON to this file")
    a = p.parse_args()

    with open(a.entities, newline="") as f:
        ents = [(r["account_id"], r["device_id"]) for r in csv.DictReader(f)]
    if not ents:
        print(f"latency: no entities in {a.entities}", file=sys.stderr)
        return 1
    n = a.calls + a.warmup

    def request(i, explain):
        acct, dev = ents[i % len(ents)]
        r = serving_pb2.ScoreRequest(model_ref=a.model, explain=explain)
        r.entity.values["account_id"] = acct
        r.entity.values["device_id"] = dev
        r.request_fields["amount"].CopyFrom(common_pb2.Value(double_value=a.amount))
        r.request_fields["type_code"].CopyFrom(common_pb2.Value(int64_value=a.type_code))
        return r

    md = [("authorization", f"Bearer {a.token}")] if a.token else None
    with open_channel(a.server, a.tls_ca) as channel:
        score = serving_pb2_grpc.ServingStub(channel).Score
        # grpc.health.v1.Health/Check with an empty request (service ""), sent
        # as raw bytes: Debian's grpcio comes without the health stubs.
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda b: b,
                                    response_deserializer=lambda b: b)
        try:
            plain = timed(lambda r: score(r, timeout=10, metadata=md),
                          [request(i, serving_pb2.EXPLAIN_NONE) for i in range(n)], a.warmup)
            fast = timed(lambda r: score(r, timeout=10, metadata=md),
                         [request(i, serving_pb2.EXPLAIN_FAST) for i in range(n)], a.warmup)
            health = timed(lambda r: check(r, timeout=10),
                           [b""] * n, a.warmup)
        except grpc.RpcError as e:
            print(f"latency: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1

    res = {"calls": a.calls, "entities": len(ents), "score": percentiles(plain),
           "score_explain_fast": percentiles(fast), "health_check": percentiles(health)}
    print(f"  {'call':<24}{'p50':>9}{'p90':>9}{'p99':>9}{'mean':>9}   (ms, {a.calls} calls each, "
          f"{len(ents)} entities)")
    for name, key in (("Score", "score"), ("Score, explain FAST", "score_explain_fast"),
                      ("health Check (empty)", "health_check")):
        r = res[key]
        print(f"  {name:<24}" + "".join(f"{r[k] / 1000:>9.3f}"
                                         for k in ("p50_us", "p90_us", "p99_us", "mean_us")))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
