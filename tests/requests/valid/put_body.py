request = {
    'method': 'PUT',
    'uri': uri('/items/42'),
    'version': (1, 1),
    'headers': [
        ('CONTENT-TYPE', 'application/json'),
        ('CONTENT-LENGTH', '15'),
    ],
    'body': b'{"name":"gear"}',
}
