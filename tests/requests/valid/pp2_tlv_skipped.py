# TLVs after the address block are skipped.
cfg.set('proxy_protocol', 'v2')
request = {
    'method': 'GET',
    'uri': uri('/tlv'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'client_addr': '192.168.0.1',
        'client_port': 56324,
    },
}
