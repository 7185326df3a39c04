# Fields that control processing of the content are not allowed in trailers (RFC 9110 section 6.5.1).
from gunicorn.http.errors import InvalidHeaderName

request = InvalidHeaderName
