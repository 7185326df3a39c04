cfg.set('proxy_protocol', 'auto')
request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
        'proxy_protocol_info': {
            'proxy_protocol': 'TCP4',
            'client_addr': '192.168.0.1',
            'client_port': 56324,
            'proxy_addr': '192.168.0.11',
            'proxy_port': 443,
        },
    },
    {
        'method': 'POST',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [('CONTENT-LENGTH', '1')],
        'body': b'x',
    },
]
