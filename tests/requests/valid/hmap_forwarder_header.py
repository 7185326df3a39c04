# forwarder_headers (SCRIPT_NAME, PATH_INFO) survive from a trusted peer (source_addr None).
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('SCRIPT_NAME', '/mount')],
    'body': b'',
}
