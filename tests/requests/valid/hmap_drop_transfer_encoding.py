# A dropped Transfer_Encoding does not frame a body.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
