# obs-fold (RFC 9112 section 5.2).
from gunicorn.http.errors import ObsoleteFolding

request = ObsoleteFolding
