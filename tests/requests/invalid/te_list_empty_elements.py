# Empty list elements around chunked: RFC 9110 section 5.6.1 would skip them,
# but a proxy that does not see chunked there takes the body for the next
# request; refused with 501 as gunicorn 27.0 does.
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
