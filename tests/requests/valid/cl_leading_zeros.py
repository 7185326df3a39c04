# Leading zeros are plain digits: 007 means 7.
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '007')],
    'body': b'abcdefg',
}
