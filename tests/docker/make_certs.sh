#!/bin/sh
# Create a throwaway CA and a server certificate signed by it, for the TLS
# scenarios (gunicorn-h2 on 8443, nginx-h2 on 8444). Usage: make_certs.sh DIR
# Files: ca.crt, server.crt, server.key. Existing certificates are kept.
set -eu
dir=${1:-/certs}
if [ -s "$dir/server.crt" ] && [ -s "$dir/server.key" ] && [ -s "$dir/ca.crt" ]; then
    echo "certificates already in $dir"
    exit 0
fi
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=gunicorn docker tests CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout ca.key -out ca.crt
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
cat > server.ext <<EXT
subjectAltName=DNS:localhost,DNS:gunicorn-h2,DNS:nginx-h2,IP:127.0.0.1
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -extfile server.ext -out server.crt
rm -f server.csr server.ext ca.srl ca.key
# read by gunicorn and the nginx master (both root in their containers)
chmod 600 server.key
chmod 644 server.crt ca.crt
echo "certificates written to $dir"
