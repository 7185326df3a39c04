"""A Flask application exercising the common request and response shapes.

Run it with ``gunicorn --chdir examples/frameworks flaskapp:app``.

Routes:

* ``GET /``                 HTML page
* ``GET /api/items``        JSON list; ``POST /api/items`` creates one from a JSON body
* ``GET /api/items/<id>``   one item, 404 when unknown
* ``GET /form``             an HTML form; ``POST /form`` echoes the fields as JSON
* ``POST /upload``          multipart (field ``file``) or raw body; answers size and sha256
* ``GET /stream?n=N``       a streamed (chunked) response of N lines
* ``GET /download?size=N``  N bytes streamed in 64 KiB pieces, a repeating pattern

Items live in memory, one store per worker process: run with ``-w 1`` to see an
item you created come back on a later request.
"""

import hashlib
import itertools
import threading
from collections.abc import Iterator

from flask import Flask, Response, abort, jsonify, request

app = Flask(__name__)
# Accept the 10 MB upload the integration tests send, with some margin.
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024

_items: dict[int, dict] = {1: {"id": 1, "name": "first"}, 2: {"id": 2, "name": "second"}}
_next_id = itertools.count(3)
_items_lock = threading.Lock()

_PIECE = 64 * 1024
# Pattern used by /download: bytes 0..255 repeated, so clients can verify content.
_PATTERN = bytes(range(256)) * (_PIECE // 256)

_INDEX = """<!doctype html>
<html>
<head><title>Flask on gunicorn</title></head>
<body>
<h1>Flask on gunicorn</h1>
<ul>
<li><a href="/api/items">/api/items</a></li>
<li><a href="/form">/form</a></li>
<li><a href="/stream?n=10">/stream?n=10</a></li>
<li><a href="/download?size=1024">/download?size=1024</a></li>
</ul>
</body>
</html>
"""

_FORM = """<!doctype html>
<html>
<head><title>Form</title></head>
<body>
<form method="post" action="/form">
<input name="name" value=""> <input name="email" value="">
<button type="submit">Send</button>
</form>
</body>
</html>
"""


def _int_arg(name: str, default: int, limit: int) -> int:
    """Read a non-negative integer query argument, answering 400 when it is bad."""
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        abort(400, description="%s must be an integer" % name)
    if value < 0 or value > limit:
        abort(400, description="%s must be within 0..%d" % (name, limit))
    return value


@app.get("/")
def index() -> Response:
    """Static HTML page."""
    return Response(_INDEX, mimetype="text/html")


@app.get("/api/items")
def list_items() -> Response:
    """All items, ordered by id."""
    with _items_lock:
        items = [_items[key] for key in sorted(_items)]
    return jsonify(items=items, count=len(items))


@app.post("/api/items")
def create_item() -> tuple[Response, int]:
    """Create an item from ``{"name": str}``; 400 when the body is not that."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return jsonify(error="expected a JSON object with a string 'name'"), 400
    with _items_lock:
        item_id = next(_next_id)
        item = {"id": item_id, "name": data["name"]}
        _items[item_id] = item
    response = jsonify(item)
    response.headers["Location"] = "/api/items/%d" % item_id
    return response, 201


@app.get("/api/items/<int:item_id>")
def get_item(item_id: int) -> Response:
    """One item by id."""
    with _items_lock:
        item = _items.get(item_id)
    if item is None:
        abort(404)
    return jsonify(item)


@app.route("/form", methods=["GET", "POST"])
def form() -> Response:
    """GET shows the form; POST echoes every submitted field (lists for repeats)."""
    if request.method == "GET":
        return Response(_FORM, mimetype="text/html")
    fields = {key: values if len(values) > 1 else values[0]
              for key, values in request.form.lists()}
    return jsonify(fields=fields)


@app.post("/upload")
def upload() -> Response:
    """Hash an upload: the multipart field ``file`` if present, else the raw body."""
    digest = hashlib.sha256()
    size = 0
    uploaded = request.files.get("file")
    stream = uploaded.stream if uploaded is not None else request.stream
    while True:
        piece = stream.read(_PIECE)
        if not piece:
            break
        size += len(piece)
        digest.update(piece)
    return jsonify(size=size, sha256=digest.hexdigest(),
                   filename=uploaded.filename if uploaded is not None else None)


@app.get("/stream")
def stream() -> Response:
    """``n`` lines produced by a generator; no Content-Length, so HTTP/1.1 chunks it."""
    count = _int_arg("n", 100, 1_000_000)

    def lines() -> Iterator[bytes]:
        for number in range(count):
            yield b"line %d\n" % number

    return Response(lines(), mimetype="text/plain")


@app.get("/download")
def download() -> Response:
    """``size`` bytes of the repeating 0..255 pattern, with a Content-Length."""
    size = _int_arg("size", 1024, 1 << 32)

    def pieces() -> Iterator[bytes]:
        left = size
        while left > 0:
            piece = _PATTERN if left >= _PIECE else _PATTERN[:left]
            left -= len(piece)
            yield piece

    response = Response(pieces(), mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(size)
    return response


application = app
