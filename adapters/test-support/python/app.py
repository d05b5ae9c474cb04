"""A tiny Pyramid app on pyramid-dynamodb-sessions, for the cross-language tests.

One view, ``POST /session``, takes a JSON list of actions, applies them in
order to ``request.session`` and answers their results as JSON. The session
factory is the Python package's own ``DynamoDBSessionFactory`` on a boto3
table at the DynamoDB Local endpoint the tests name, so every read and write
is the package's.

Actions (each a JSON list, name first):

    ["set", key, value]        session[key] = value            -> null
    ["set_int", key, digits]   session[key] = int(digits)      -> null
    ["set_float", key, text]   session[key] = float(text)      -> null  ("nan")
    ["get", key]               session.get(key)                -> value or null
    ["repr", key]              repr(session.get(key))          -> text
    ["del", key]               session.pop(key, None)          -> the old value
    ["state"]                  dict(session)                   -> the whole data
    ["flash", msg, queue]      session.flash(msg, queue)       -> null
    ["pop_flash", queue]       session.pop_flash(queue)        -> list
    ["peek_flash", queue]      session.peek_flash(queue)       -> list
    ["csrf"]                   session.get_csrf_token()        -> token
    ["new_csrf"]               session.new_csrf_token()        -> token
    ["invalidate"]             session.invalidate()            -> null
    ["changed"]                session.changed()               -> null
    ["info"]                   {"new": ..., "version": ...}    (version as a string)
    ["pause"]                  calls the pause hook (the driver lets the
                               test act in between)            -> null

Errors are not caught here: they reach webtest, and the driver reports them.
"""

import json
import warnings
from decimal import Decimal

# pyramid 2.1 imports pkg_resources, which warns on recent setuptools.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import boto3  # noqa: E402
from pyramid.config import Configurator  # noqa: E402
from pyramid_dynamodb_sessions import DynamoDBSessionFactory  # noqa: E402

# The factory's keyword arguments a test may set.
SETTINGS = (
    "cookie_name",
    "max_age",
    "path",
    "domain",
    "secure",
    "httponly",
    "samesite",
    "timeout",
    "reissue_time",
)


def _plain(value):
    """Makes boto3's Decimals JSON-serializable for the answer."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def run_action(session, action, pause):
    name, args = action[0], action[1:]
    if name == "set":
        session[args[0]] = args[1]
        return None
    if name == "set_int":
        session[args[0]] = int(args[1])
        return None
    if name == "set_float":
        session[args[0]] = float(args[1])
        return None
    if name == "get":
        return session.get(args[0])
    if name == "repr":
        return repr(session.get(args[0]))
    if name == "del":
        return session.pop(args[0], None)
    if name == "state":
        return dict(session.items())
    if name == "flash":
        session.flash(args[0], args[1] if len(args) > 1 else "")
        return None
    if name == "pop_flash":
        return session.pop_flash(args[0] if args else "")
    if name == "peek_flash":
        return session.peek_flash(args[0] if args else "")
    if name == "csrf":
        return session.get_csrf_token()
    if name == "new_csrf":
        return session.new_csrf_token()
    if name == "invalidate":
        session.invalidate()
        return None
    if name == "changed":
        session.changed()
        return None
    if name == "info":
        version = session.version
        return {
            "new": session.new,
            "version": None if version is None else str(version),
        }
    if name == "pause":
        pause()
        return None
    raise ValueError("unknown action %r" % (name,))


def dynamodb_table(endpoint, table_name):
    """A boto3 Table at the DynamoDB Local ``endpoint``, any credentials."""
    dynamodb = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return dynamodb.Table(table_name)


def make_app(endpoint, table_name, settings=None, pause=lambda: None):
    """The WSGI app: sessions in ``table_name`` at ``endpoint``.

    ``settings`` are DynamoDBSessionFactory keyword arguments; ``pause`` is
    what the ``pause`` action calls.
    """
    settings = dict(settings or {})
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError("unknown session settings: %s" % sorted(unknown))
    factory = DynamoDBSessionFactory(dynamodb_table(endpoint, table_name), **settings)

    def session_view(request):
        actions = json.loads(request.body)
        results = [run_action(request.session, a, pause) for a in actions]
        response = request.response
        response.content_type = "application/json"
        response.text = json.dumps(_plain(results))
        return response

    with Configurator() as config:
        config.set_session_factory(factory)
        config.add_route("session", "/session")
        config.add_view(session_view, route_name="session", request_method="POST")
        return config.make_wsgi_app()
