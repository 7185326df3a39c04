# Only SP and HTAB are trimmed, never NBSP.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-PAD', '\xa0value\xa0')],
    'body': b'',
}
