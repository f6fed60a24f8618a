#!/bin/sh
# The gateway's command: over TLS when its certificate and key are given (the gateway_tls_cert
# and gateway_tls_key secrets, compose.tls.yaml), else plain HTTP. One of the two alone is a
# mistake, said at once rather than served without TLS.
set -eu
cert=/run/secrets/gateway_tls_cert
key=/run/secrets/gateway_tls_key
if [ -e "$cert" ] || [ -e "$key" ]; then
    for file in "$cert" "$key"; do
        if [ ! -r "$file" ]; then
            echo "gateway: $file is missing or unreadable by uid $(id -u): TLS needs both the" \
                 "certificate and its key" >&2
            exit 1
        fi
    done
    exec nginx -c /etc/nginx/pos/gateway-tls.conf -g "daemon off;"
fi
exec nginx -c /etc/nginx/pos/gateway.conf -g "daemon off;"
