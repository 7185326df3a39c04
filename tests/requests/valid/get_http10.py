request = {
    'method': 'GET',
    'uri': uri('/old/page'),
    'version': (1, 0),
    'headers': [],
    'body': b'',
}
