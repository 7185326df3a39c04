# Folding cannot smuggle a second Content-Length value.
from gunicorn.http.errors import InvalidHeader

cfg.set('permit_obsolete_folding', True)
request = InvalidHeader
