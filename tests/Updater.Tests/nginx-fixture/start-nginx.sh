#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs nginx in the foreground as a plain static file server for tests and benchmarks:
#   start-nginx.sh ROOT WORKDIR PORT
# serves ROOT on 127.0.0.1:PORT with its own configuration, logs and temp files in WORKDIR.
# One process (no master, no daemon), so whoever started it stops it by its pid.
set -euo pipefail
root=$(realpath "$1")
work=$(realpath "$2")
port=$3
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "start-nginx.sh: nginx not found (apt-get install nginx-light)" >&2; exit 1; }
mkdir -p "$work/tmp"
cat >"$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $work/error.log warn;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
    access_log $work/access.log;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        root $root;
        etag on;
    }
}
CONF
exec "$nginx" -c "$work/nginx.conf" -p "$work"
