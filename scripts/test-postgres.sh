#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A throw-away PostgreSQL 15 server for the tests of the study store's server backend: initdb into a temporary
# directory, listening on a free loopback port only, trust for the test role `psc` and a password (SCRAM) for the
# role `pscpw`, so the tests can check refused credentials. ctest starts it before the tests that need it and stops
# it after them, also when they fail (fixture "postgres" in tests/CMakeLists.txt).
#
# Usage: scripts/test-postgres.sh start STATE   writes STATE (a file): the server's directory and URL
#        scripts/test-postgres.sh stop STATE    stops the server and removes its directory
#        scripts/test-postgres.sh restart STATE restarts it (fast shutdown: every session is ended), same port
# The URL (no password) is on the line "url=..." of STATE, e.g. postgresql://psc@127.0.0.1:41234/psc_test.
set -euo pipefail
action=${1:?start or stop}
state=${2:?state file}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "test-postgres: no PostgreSQL server (install postgresql-15)" >&2; exit 1; }

# initdb and the server refuse to run as root: then they run as the packaged `postgres` user.
as_server() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
    [[ -f "$state" ]] || return 0
    dir=$(sed -n 's/^dir=//p' "$state")
    if [[ -n "$dir" && -d "$dir/data" ]]; then
        as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [[ -n "$dir" && "$dir" == /tmp/psc-pgtest.* ]] && rm -rf "$dir"
    rm -f "$state"
}

case "$action" in
stop)
    stop
    ;;
restart)
    dir=$(sed -n 's/^dir=//p' "$state")
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null
    ;;
start)
    stop # a server left by an interrupted run
    dir=$(mktemp -d /tmp/psc-pgtest.XXXXXX)
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_server "$bin/initdb" -D "$dir/data" -U psc --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    cat >"$dir/data/pg_hba.conf" <<'EOF'
local all all              trust
host  all pscpw 127.0.0.1/32 scram-sha-256
host  all all   127.0.0.1/32 trust
EOF
    for attempt in $(seq 1 20); do
        port=$((20000 + (RANDOM % 30000)))
        if as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null; then
            printf 'dir=%s\nport=%s\nurl=postgresql://psc@127.0.0.1:%s/psc_test\n' "$dir" "$port" "$port" >"$state"
            "$bin/psql" -h 127.0.0.1 -p "$port" -U psc -d postgres -q -v ON_ERROR_STOP=1 \
                -c "CREATE DATABASE psc_test" \
                -c "CREATE ROLE pscpw LOGIN PASSWORD 'right-horse-battery'" \
                -c "GRANT ALL ON DATABASE psc_test TO pscpw" >/dev/null
            echo "test-postgres: server on 127.0.0.1:$port ($dir)"
            exit 0
        fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
*)
    echo "usage: $0 start|stop|restart STATE" >&2
    exit 2
    ;;
esac
