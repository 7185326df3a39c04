# obs-fold joined with single spaces when permitted.
cfg.set('permit_obsolete_folding', True)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-FOLD', 'first second third'),
        ('X-NEXT', 'n'),
    ],
    'body': b'',
}
