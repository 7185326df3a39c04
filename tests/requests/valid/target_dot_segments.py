# Dot segments are passed through unchanged.
request = {
    'method': 'GET',
    'uri': uri('/a/./b/../c'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
