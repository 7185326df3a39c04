"""An HTTP/2 example: 103 Early Hints and response trailers (gthread worker).

Run it with TLS (browsers speak HTTP/2 over TLS only)::

    gunicorn app:app -k gthread --threads 8 --http-protocols h2,h1 \
        --certfile server.pem --keyfile server.key

then ``curl -kv --http2 https://127.0.0.1:8000/`` or
``nghttp -v https://127.0.0.1:8000/``: the 103 response comes first, the
final response ends with a trailer section.
"""

import hashlib


def app(environ, start_response):
    # Early hints: the browser may start fetching these before the page is ready.
    hints = environ.get("wsgi.early_hints")
    if hints is not None:
        hints([("Link", "</static/site.css>; rel=preload; as=style")])
    body = ("Hello over %s\n" % environ["SERVER_PROTOCOL"]).encode()
    send_trailers = environ.get("gunicorn.http2.send_trailers")
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    if send_trailers is not None:
        # HTTP/2 only: sent in a final HEADERS frame after the content
        send_trailers([("x-content-sha256", hashlib.sha256(body).hexdigest())])
        headers.append(("Trailer", "x-content-sha256"))
    start_response("200 OK", headers)
    return [body]
