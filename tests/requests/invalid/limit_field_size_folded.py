# Continuation lines count toward the field size.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_field_size', 40)
cfg.set('permit_obsolete_folding', True)
request = LimitRequestHeaders
