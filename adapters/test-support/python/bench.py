"""Cycles per second of pyramid-dynamodb-sessions, for the Rust bench
adapters/benches/python_peer.rs, which starts one process per client.

    python bench.py ENDPOINT TABLE MODE MILLISECONDS

MODE is one of
    read       a request that reads the session (no write inside the
               reissue window): the package's GetItem
    rmw        a request that reads and changes it: GetItem + conditional
               PutItem
    bare-read  boto3 Table.get_item of the session's item
    bare-rmw   boto3 get_item + the same conditional put_item

Each process creates its own session first, then waits for a line on stdin
(so that all start together), runs MODE for MILLISECONDS and prints one line
of JSON: {"cycles": N, "seconds": S}.
"""

import hashlib
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import webtest  # noqa: E402
from boto3.dynamodb.conditions import Attr  # noqa: E402

from app import dynamodb_table, make_app  # noqa: E402


def main():
    endpoint, table_name, mode, millis = sys.argv[1:5]
    app = webtest.TestApp(make_app(endpoint, table_name))
    response = app.post("/session", json.dumps([["set_int", "n", "0"]]), content_type="application/json")
    cookie = response.headers.getall("Set-Cookie")[-1].split(";")[0]
    # The bare calls go to the same table, through boto3 as the package does.
    table = dynamodb_table(endpoint, table_name)
    # The package's key: SHA-256 of the session ID, the cookie value's part
    # before the version.
    session_id = cookie.split("=", 1)[1].strip('"').split("/")[0]
    key = {"sid": hashlib.sha256(session_id.encode("utf8")).digest()}
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    sys.stdin.readline()

    def read():
        app.reset()
        app.post("/session", json.dumps([["get", "n"]]), headers={"Cookie": cookie},
                 content_type="application/json")

    def rmw():
        nonlocal cookie
        app.reset()
        response = app.post("/session", json.dumps([["get", "n"], ["set_int", "n", "1"]]),
                            headers={"Cookie": cookie}, content_type="application/json")
        cookies = response.headers.getall("Set-Cookie")
        if cookies:
            cookie = cookies[-1].split(";")[0]

    def bare_read():
        table.get_item(Key=key)

    def bare_rmw():
        found = table.get_item(Key=key)["Item"]
        version = found["ver"]
        found["ver"] = version + 1
        table.put_item(Item=found, ConditionExpression=Attr("ver").eq(version))

    work = {"read": read, "rmw": rmw, "bare-read": bare_read, "bare-rmw": bare_rmw}[mode]
    deadline = time.monotonic() + int(millis) / 1000.0
    started = time.monotonic()
    cycles = 0
    while time.monotonic() < deadline:
        work()
        cycles += 1
    sys.stdout.write(json.dumps({"cycles": cycles, "seconds": time.monotonic() - started}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
