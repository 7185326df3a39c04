# CRLF inside chunk data is data.
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'chunked')],
    'body': b'ab\r\ncd\n\r\n',
}
