# Percent escapes stay undecoded in path/query.
request = {
    'method': 'GET',
    'uri': uri('/caf%C3%A9/a%2Fb/%20x?q=%26%3D'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
