cfg.set('proxy_protocol', 'v1')
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 0),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'proxy_protocol': 'TCP4',
        'client_addr': '192.168.0.1',
        'client_port': 56324,
        'proxy_addr': '192.168.0.11',
        'proxy_port': 443,
    },
}
