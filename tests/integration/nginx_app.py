"""WSGI app used behind nginx: reports what the server put in the environ."""

import json


def app(environ, start_response):
    body = environ["wsgi.input"].read()
    info = {
        "scheme": environ["wsgi.url_scheme"],
        "remote_addr": environ.get("REMOTE_ADDR"),
        "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        "host": environ.get("HTTP_HOST"),
        "path": environ.get("PATH_INFO"),
        "script_name": environ.get("SCRIPT_NAME"),
        "query": environ.get("QUERY_STRING"),
        "protocol": environ.get("SERVER_PROTOCOL"),
        "transfer_encoding": environ.get("HTTP_TRANSFER_ENCODING"),
        "content_length": environ.get("CONTENT_LENGTH"),
        "body_length": len(body),
    }
    if environ.get("PATH_INFO") == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"x" * 1000 for _ in range(100))
    data = json.dumps(info).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]
