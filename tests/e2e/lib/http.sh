# SPDX-License-Identifier: Apache-2.0
# A static HTTP server on the host for the guest (busybox httpd: GET, HEAD and Range requests).
# Under QEMU user networking the guest reaches the host's 127.0.0.1:PORT at 10.0.2.2:PORT.
# Source after common.sh.

# http_serve DIR [PORT]: serves DIR on a free port of 127.0.0.1 (or on PORT, which must be free). Sets HTTP_PID,
# HTTP_PORT, HTTP_URL (as the host sees it) and HTTP_GUEST_URL (as the guest sees it). DIR/cgi-bin/ holds CGI programs
# (busybox httpd runs them, a POST's body on their stdin).
http_serve() {
  local dir=$1 fixed=${2:-} try port
  [ -d "$dir" ] || e2e_die "http_serve: no directory $dir"
  for try in 1 2 3 4 5 6 7 8 9 10; do
    port=${fixed:-$(( 20000 + RANDOM % 40000 ))}
    /usr/bin/busybox httpd -f -p "127.0.0.1:$port" -h "$dir" &
    HTTP_PID=$!
    sleep 0.3
    if kill -0 "$HTTP_PID" 2>/dev/null; then
      # run.sh ends it if the run is interrupted.
      [ -z "${E2E_RUN_PIDS:-}" ] || echo "$HTTP_PID" >> "$E2E_RUN_PIDS"
      HTTP_PORT=$port
      HTTP_URL="http://127.0.0.1:$port"
      HTTP_GUEST_URL="http://10.0.2.2:$port"
      return 0
    fi
    wait "$HTTP_PID" 2>/dev/null || true
    [ -z "$fixed" ] || e2e_die "http_serve: port $fixed of 127.0.0.1 is taken"
  done
  e2e_die "http_serve: no free port found"
}

# http_stop: stops the server http_serve started.
http_stop() {
  [ -z "${HTTP_PID:-}" ] && return 0
  kill "$HTTP_PID" 2>/dev/null || true
  wait "$HTTP_PID" 2>/dev/null || true
  HTTP_PID=
}
