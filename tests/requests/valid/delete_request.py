request = {
    'method': 'DELETE',
    'uri': uri('/items/42'),
    'version': (1, 1),
    'headers': [('HOST', 'api')],
    'body': b'',
}
