#!/usr/bin/python3
"""Scores one event against a running fsd from Python.

fstore's API is gRPC, so any language with gRPC can call it. This client uses
Debian's python3-grpcio and python3-protobuf and the stubs the build generates
from protos/ (build/python; put it on PYTHONPATH):

  PYTHONPATH=build/python /usr/bin/python3 examples/python/score.py \
      --server 127.0.0.1:50051 --model fraud@Production \
      --entity account_id=A-1 --field amount=120.5 --explain fast

It prints the response as JSON. Exit status: 0 scored, 1 the server refused
(the reason is printed), 2 bad arguments.
"""

import argparse
import json
import os
import sys

import grpc

from fstore.v1 import serving_pb2, serving_pb2_grpc


def typed_value(text, value):
    """Fills a fstore.v1.Value from what a person typed."""
    if text in ("true", "false"):
        value.bool_value = text == "true"
        return
    try:
        value.int64_value = int(text)
        return
    except ValueError:
        pass
    try:
        value.double_value = float(text)
    except ValueError:
        value.string_value = text


def key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"'{text}' is not KEY=VALUE")
    return key, value


def open_channel(server, tls_ca):
    """A channel to fsd: TLS when given the CA that signed fsd's certificate
    (--tls-ca or $FSTORE_TLS_CA), else plain text (loopback only)."""
    if not tls_ca:
        return grpc.insecure_channel(server)
    with open(tls_ca, "rb") as f:
        return grpc.secure_channel(server, grpc.ssl_channel_credentials(root_certificates=f.read()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051", help="fsd address")
    parser.add_argument("--tls-ca", default=os.environ.get("FSTORE_TLS_CA", ""),
                        help="CA certificate of a TLS fsd (default: $FSTORE_TLS_CA)")
    parser.add_argument("--token", default=os.environ.get("FSTORE_TOKEN", ""),
                        help="bearer token of an fsd that checks tokens (default: $FSTORE_TOKEN)")
    parser.add_argument("--model", required=True, help="NAME@STAGE, NAME@ALIAS or NAME:VERSION")
    parser.add_argument("--entity", type=key_value, action="append", default=[],
                        help="join key, e.g. account_id=A-1 (repeat)")
    parser.add_argument("--field", type=key_value, action="append", default=[],
                        help="request field, e.g. amount=120.5 (repeat)")
    parser.add_argument("--explain", choices=["none", "fast", "exact"], default="none")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds")
    args = parser.parse_args()

    request = serving_pb2.ScoreRequest(model_ref=args.model)
    for key, value in args.entity:
        request.entity.values[key] = value
    for key, value in args.field:
        typed_value(value, request.request_fields[key])
    request.explain = {"none": serving_pb2.EXPLAIN_NONE, "fast": serving_pb2.EXPLAIN_FAST,
                       "exact": serving_pb2.EXPLAIN_EXACT}[args.explain]

    metadata = [("authorization", f"Bearer {args.token}")] if args.token else None
    with open_channel(args.server, args.tls_ca) as channel:
        stub = serving_pb2_grpc.ServingStub(channel)
        try:
            response = stub.Score(request, timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as error:
            print(f"score.py: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1

    print(json.dumps({
        "score": response.score,
        "risk_bucket": response.risk_bucket,
        "model": response.model,
        "version": response.model_version,
        "request_id": response.request_id,
        "missing_features": list(response.missing_features),
        "contributions": [
            {"feature": c.feature, "contribution": c.contribution}
            for c in response.contributions
        ],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
