# A request body on HEAD is framed like any other request body.
request = {
    'method': 'HEAD',
    'uri': uri('/q'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '2')],
    'body': b'hi',
}
