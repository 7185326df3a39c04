request = {
    'method': 'GET',
    'uri': uri('/page?x=1#section-2'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
