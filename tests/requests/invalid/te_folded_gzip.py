from gunicorn.http.errors import InvalidHeader

cfg.set('permit_obsolete_folding', True)
request = InvalidHeader
