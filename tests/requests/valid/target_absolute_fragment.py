request = {
    'method': 'GET',
    'uri': uri('http://h/p?q#f'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
