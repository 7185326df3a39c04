# EOF before all Content-Length bytes arrived: the body is what came, and
# the connection is not reused.
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '10')],
    'body': b'hello',
}
