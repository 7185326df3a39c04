request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('REFERER', 'http://user:pw@host:80/p?x=1')],
    'body': b'',
}
