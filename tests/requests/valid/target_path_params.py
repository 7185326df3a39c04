request = {
    'method': 'GET',
    'uri': uri('/p;a=b/c;d'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
