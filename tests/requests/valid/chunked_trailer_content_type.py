# Content-Type is not a framing or routing field; upstream's own corpus sends it as a trailer, so it is accepted.
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('TRANSFER-ENCODING', 'chunked'),
    ],
    'body': b'hello',
    'trailers': [
        ('CONTENT-TYPE', 'text/html'),
    ],
}
