# Values are latin-1 decoded.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-SNOW', 'â\x98\x83')],
    'body': b'',
}
