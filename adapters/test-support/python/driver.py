"""Drives app.py with webtest for a Rust test, one JSON line in, one out.

Started once per test by conformance/tests/python_interop.rs, it serves
requests until stdin closes. Each line on stdin is a command; each command
gets exactly one line of JSON on stdout (a paused request gets two, see
"pause"). Nothing else is written to stdout: Python's own output goes to
stderr.

    {"op": "configure", "endpoint": URL, "table": NAME, "settings": {...}}
        -> {"ok": true}
        Builds the app (settings: DynamoDBSessionFactory keyword arguments).
    {"op": "request", "cookie": "session_id=TOKEN/VER" or null,
     "actions": [[...], ...], "https": false}
        -> {"set_cookie": HEADER or null, "results": [...] or null,
            "error": null or {"type": NAME, "message": TEXT}}
        One POST through webtest.TestApp with this Cookie header (and no
        cookie jar). An exception anywhere, including the session factory's
        write after the view (RaceConditionException), is the error.
    {"op": "quit"}
        -> {"ok": true}, then exits.

The action "pause" prints {"paused": true} and waits for the line
{"op": "resume"} before going on, so that a test can act between the
package's read of the session and its write.
"""

import json
import sys
import traceback


def main():
    protocol = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not break the protocol

    def send(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    def receive():
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)
        return json.loads(line)

    def pause():
        send({"paused": True})
        command = receive()
        if command.get("op") != "resume":
            raise RuntimeError("expected resume, got %r" % (command,))

    try:
        import webtest

        from app import make_app
    except Exception as e:  # report the broken environment on the first command
        import_error = "%s: %s" % (type(e).__name__, e)
    else:
        import_error = None

    test_app = None
    while True:
        command = receive()
        op = command.get("op")
        if import_error is not None:
            send({"error": {"type": "ImportError", "message": import_error}})
            continue
        if op == "quit":
            send({"ok": True})
            return
        if op == "configure":
            app = make_app(
                command["endpoint"],
                command["table"],
                command.get("settings"),
                pause,
            )
            test_app = webtest.TestApp(app)
            send({"ok": True})
            continue
        if op != "request" or test_app is None:
            send({"error": {"type": "ProtocolError", "message": "bad command %r" % (op,)}})
            continue
        test_app.reset()  # no cookie jar: the test names the cookie
        headers = {}
        if command.get("cookie"):
            headers["Cookie"] = command["cookie"]
        environ = {"wsgi.url_scheme": "https"} if command.get("https") else {}
        try:
            response = test_app.post(
                "/session",
                json.dumps(command["actions"]),
                headers=headers,
                extra_environ=environ,
                content_type="application/json",
            )
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            send(
                {
                    "set_cookie": None,
                    "results": None,
                    "error": {"type": type(e).__name__, "message": str(e)},
                }
            )
            continue
        cookies = response.headers.getall("Set-Cookie")
        send(
            {
                "set_cookie": cookies[-1] if cookies else None,
                "results": response.json,
                "error": None,
            }
        )


if __name__ == "__main__":
    main()
