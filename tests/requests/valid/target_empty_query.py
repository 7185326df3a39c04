request = {
    'method': 'GET',
    'uri': uri('/p?'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
