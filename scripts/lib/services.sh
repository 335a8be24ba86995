# shellcheck shell=bash
# Throwaway test services for Owlery, all on loopback, all state in one folder.
#
# For a dev shell, use the wrapper:
#     eval "$(scripts/services up)"   # start PostgreSQL + SMTP, export OWLERY_TEST_* here
#     cargo nextest run --workspace   # tests now use the real servers
#     scripts/services env            # print the exports again (e.g. in another shell)
#     scripts/services status
#     scripts/services down           # stop them and delete their data
# scripts/test uses the same functions with its own state folder (.test-run/test),
# so a full test run does not disturb the services of a dev shell (.test-run/dev).
#
# Functions (source this file; set OWLERY_SVC_DIR first, or get .test-run/dev):
#   start_postgres   throwaway cluster as user postgres (PostgreSQL refuses root), trust auth
#                    on 127.0.0.1, data dir from mktemp under /tmp (the postgres user must be
#                    able to traverse it), database owlery_test, ready per pg_isready.
#   start_smtp       python -m aiosmtpd writing every message to a Maildir.
#   start_bluesky    Bluesky's @atproto/dev-env (+ its redis-server, a fresh database on the test
#                    PostgreSQL), see the Bluesky section.
#   start_mastodon   PyPI mastodon_mock, a third-party imitation of Mastodon's REST API (not
#                    Mastodon), see the Mastodon section at the end.
#   stop_all         stop them all (safe to call repeatedly, and with nothing running).
#   services_env     print `export ...` lines for the running services.
# Environment this provides for the tests:
#   OWLERY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/owlery_test (a superuser)
#   OWLERY_TEST_SMTP=127.0.0.1:<port>   OWLERY_TEST_MAILDIR=<maildir>   CI_SERVICES=1
#   OWLERY_TEST_BLUESKY_PDS=http://127.0.0.1:2583   OWLERY_TEST_BLUESKY_APPVIEW=http://127.0.0.1:2584
#   OWLERY_TEST_MASTODON_URL=http://127.0.0.1:<port>
# Preferred ports (the next free one is taken if busy): OWLERY_TEST_PG_PORT (55432),
# OWLERY_TEST_SMTP_PORT (52525), OWLERY_TEST_MASTODON_PORT (53000).
# Every function checks its own errors and returns non-zero: none relies on `set -e`, and
# all of them also work when the caller has `set -e` on (e.g. from an EXIT trap).

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=scripts/lib/install.sh
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"

OWLERY_SVC_DIR="${OWLERY_SVC_DIR:-$OWLERY_TEST_RUN_DIR/dev}"

# The newest PostgreSQL server installed (Debian 12: 15), or $OWLERY_PG_BIN.
pg_bin_dir() {
	if [[ -n "${OWLERY_PG_BIN:-}" ]]; then
		printf '%s\n' "$OWLERY_PG_BIN"
		return 0
	fi
	local d
	# shellcheck disable=SC2012 # plain version-numbered folder names
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)" || d=""
	if [[ -z "$d" || ! -x "$d/initdb" ]]; then
		err "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)"
		return 1
	fi
	printf '%s\n' "$d"
}

# Run a PostgreSQL server program as the postgres user when we are root.
_as_pg() {
	if ((EUID == 0)); then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start_postgres() {
	local bindir port dir locale=C attempt
	bindir="$(pg_bin_dir)" || return 1
	mkdir -p "$OWLERY_SVC_DIR" || return 1
	if [[ -s "$OWLERY_SVC_DIR/pg.dir" ]]; then
		err "PostgreSQL already started for $OWLERY_SVC_DIR (stop_all first)"
		return 1
	fi
	dir="$(mktemp -d /tmp/owlery-test-pg.XXXXXX)" || return 1
	# Recorded before anything else so that stop_all cleans up even a half-started cluster.
	printf '%s\n' "$dir" >"$OWLERY_SVC_DIR/pg.dir"
	if ((EUID == 0)); then
		chown postgres:postgres "$dir" || return 1
	fi
	chmod 700 "$dir" || return 1
	ln -sfn "$dir/postgres.log" "$OWLERY_SVC_DIR/postgres.log" || true
	if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
	if ! (cd "$dir" && _as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
		--encoding=UTF8 --locale="$locale") >"$OWLERY_SVC_DIR/initdb.log" 2>&1; then
		err "initdb failed"
		show_log_tail "$OWLERY_SVC_DIR/initdb.log"
		return 1
	fi
	for attempt in 1 2 3; do
		port="$(free_port "${OWLERY_TEST_PG_PORT:-55432}")" || return 1
		# Tests create a database per test and run in parallel: allow plenty of connections.
		# Durability is pointless for a throwaway cluster: turn it off for speed.
		_as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<-CONF || return 1
			listen_addresses = '127.0.0.1'
			port = $port
			unix_socket_directories = '$dir'
			max_connections = 300
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			log_min_messages = warning
			log_min_error_statement = panic
		CONF
		if ! (cd "$dir" && _as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -W start) \
			>"$OWLERY_SVC_DIR/pg_ctl.log" 2>&1; then
			err "pg_ctl start failed"
			show_log_tail "$OWLERY_SVC_DIR/pg_ctl.log"
			return 1
		fi
		if _wait_pg_ready "$bindir" "$dir" "$port" 30; then
			break
		fi
		# Lost a race for the port? Try again on another one; otherwise give up.
		if grep -q 'could not bind' "$dir/postgres.log" 2>/dev/null && ((attempt < 3)); then
			warn "port $port was taken, retrying"
			continue
		fi
		show_log_tail "$dir/postgres.log"
		return 1
	done
	printf '%s\n' "$port" >"$OWLERY_SVC_DIR/pg.port"
	if ! "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres owlery_test \
		>>"$OWLERY_SVC_DIR/pg_ctl.log" 2>&1; then
		err "createdb owlery_test failed"
		show_log_tail "$OWLERY_SVC_DIR/pg_ctl.log"
		return 1
	fi
	export OWLERY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/owlery_test"
	info "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data $dir)"
}

# Bounded poll with pg_isready; fails early if the postmaster died.
_wait_pg_ready() {
	local bindir=$1 dir=$2 port=$3 secs=$4
	local deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then return 0; fi
		# pg_ctl -W returns at once; postmaster.pid appears quickly and goes if it dies.
		if [[ ! -e "$dir/data/postmaster.pid" ]] && ! _pg_running "$bindir" "$dir"; then
			sleep 0.3
			if ! _pg_running "$bindir" "$dir"; then
				err "PostgreSQL exited during start"
				return 1
			fi
		fi
		sleep 0.2
	done
	err "PostgreSQL not ready on 127.0.0.1:$port after ${secs}s"
	return 1
}

_pg_running() {
	(cd "$2" && _as_pg "$1/pg_ctl" -D "$2/data" status) >/dev/null 2>&1
}

stop_postgres() {
	local dir bindir pid
	[[ -s "$OWLERY_SVC_DIR/pg.dir" ]] || return 0
	dir="$(cat "$OWLERY_SVC_DIR/pg.dir")"
	bindir="$(pg_bin_dir 2>/dev/null)" || bindir=""
	if [[ -f "$dir/data/postmaster.pid" ]]; then
		if [[ -z "$bindir" ]] ||
			! (cd "$dir" && _as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop) >/dev/null 2>&1; then
			pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)" || pid=""
			if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
				warn "PostgreSQL did not stop cleanly; killing postmaster $pid"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		fi
	fi
	# Keep the server log next to the other logs, then remove the cluster.
	if [[ -f "$dir/postgres.log" ]]; then
		rm -f "$OWLERY_SVC_DIR/postgres.log"
		cp "$dir/postgres.log" "$OWLERY_SVC_DIR/postgres.log" 2>/dev/null || true
	fi
	case "$dir" in
	/tmp/owlery-test-pg.*) rm -rf "$dir" ;;
	*) warn "not removing unexpected PostgreSQL dir '$dir'" ;;
	esac
	rm -f "$OWLERY_SVC_DIR/pg.dir" "$OWLERY_SVC_DIR/pg.port"
	info "PostgreSQL stopped"
}

start_smtp() {
	local port maildir pid py="$OWLERY_VENV/bin/python"
	mkdir -p "$OWLERY_SVC_DIR" || return 1
	if [[ -s "$OWLERY_SVC_DIR/smtp.pid" ]]; then
		err "SMTP already started for $OWLERY_SVC_DIR (stop_all first)"
		return 1
	fi
	if ! "$py" -c 'import aiosmtpd' >/dev/null 2>&1; then
		ensure_python_venv || return 1
	fi
	port="$(free_port "${OWLERY_TEST_SMTP_PORT:-52525}")" || return 1
	maildir="$OWLERY_SVC_DIR/maildir"
	# aiosmtpd's Mailbox handler makes the Maildir itself: it must not exist as an empty folder.
	rm -rf "$maildir"
	nohup "$py" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$maildir" \
		>"$OWLERY_SVC_DIR/smtp.log" 2>&1 </dev/null &
	pid=$!
	printf '%s\n' "$pid" >"$OWLERY_SVC_DIR/smtp.pid"
	if ! wait_for_port "$port" 15 "$pid"; then
		show_log_tail "$OWLERY_SVC_DIR/smtp.log"
		return 1
	fi
	printf '%s\n' "$port" >"$OWLERY_SVC_DIR/smtp.port"
	export OWLERY_TEST_SMTP="127.0.0.1:$port"
	export OWLERY_TEST_MAILDIR="$maildir"
	info "SMTP (aiosmtpd) on 127.0.0.1:$port, Maildir $maildir"
}

stop_smtp() {
	local pid i
	[[ -s "$OWLERY_SVC_DIR/smtp.pid" ]] || return 0
	pid="$(cat "$OWLERY_SVC_DIR/smtp.pid")"
	# Only signal the process we started (guard against a recycled pid).
	if [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa aiosmtpd "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "aiosmtpd $pid ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$OWLERY_SVC_DIR/smtp.pid" "$OWLERY_SVC_DIR/smtp.port"
	info "SMTP stopped"
}

stop_all() {
	stop_mastodon
	stop_bluesky
	stop_smtp
	stop_postgres
	rm -f "$OWLERY_SVC_DIR/env"
	return 0
}

# Print the exports for whatever runs now (reads the state files, so it works from any shell).
services_env() {
	local pg smtp mastodon
	pg="$(cat "$OWLERY_SVC_DIR/pg.port" 2>/dev/null)" || pg=""
	smtp="$(cat "$OWLERY_SVC_DIR/smtp.port" 2>/dev/null)" || smtp=""
	mastodon="$(cat "$OWLERY_SVC_DIR/mastodon.port" 2>/dev/null)" || mastodon=""
	if [[ -z "$pg" && -z "$smtp" && -z "$mastodon" ]]; then
		err "no services running for $OWLERY_SVC_DIR"
		return 1
	fi
	if [[ -n "$pg" ]]; then
		printf 'export OWLERY_TEST_POSTGRES_URL=%q\n' "postgres://postgres@127.0.0.1:$pg/owlery_test"
	fi
	if [[ -n "$smtp" ]]; then
		printf 'export OWLERY_TEST_SMTP=%q\n' "127.0.0.1:$smtp"
		printf 'export OWLERY_TEST_MAILDIR=%q\n' "$OWLERY_SVC_DIR/maildir"
	fi
	if [[ -s "$OWLERY_SVC_DIR/bluesky.pid" ]]; then
		printf 'export OWLERY_TEST_BLUESKY_PDS=%q\n' "http://127.0.0.1:2583"
		printf 'export OWLERY_TEST_BLUESKY_APPVIEW=%q\n' "http://127.0.0.1:2584"
	fi
	if [[ -n "$mastodon" ]]; then
		printf 'export OWLERY_TEST_MASTODON_URL=%q\n' "http://127.0.0.1:$mastodon"
	fi
	printf 'export CI_SERVICES=1\n'
}

services_status() {
	local dir pid
	if [[ -s "$OWLERY_SVC_DIR/pg.dir" ]]; then
		dir="$(cat "$OWLERY_SVC_DIR/pg.dir")"
		if [[ -f "$dir/data/postmaster.pid" ]] && kill -0 "$(head -n 1 "$dir/data/postmaster.pid")" 2>/dev/null; then
			info "PostgreSQL: running on 127.0.0.1:$(cat "$OWLERY_SVC_DIR/pg.port" 2>/dev/null) (data $dir)"
		else
			info "PostgreSQL: NOT running (stale state; run down)"
		fi
	else
		info "PostgreSQL: stopped"
	fi
	if [[ -s "$OWLERY_SVC_DIR/smtp.pid" ]]; then
		pid="$(cat "$OWLERY_SVC_DIR/smtp.pid")"
		if kill -0 "$pid" 2>/dev/null; then
			info "SMTP: running on 127.0.0.1:$(cat "$OWLERY_SVC_DIR/smtp.port" 2>/dev/null) (pid $pid)"
		else
			info "SMTP: NOT running (stale state; run down)"
		fi
	else
		info "SMTP: stopped"
	fi
	if [[ -s "$OWLERY_SVC_DIR/bluesky.pid" ]]; then
		pid="$(cat "$OWLERY_SVC_DIR/bluesky.pid")"
		if kill -0 "$pid" 2>/dev/null; then
			info "Bluesky dev-env: running, PDS 127.0.0.1:2583, AppView 127.0.0.1:2584 (pid $pid, redis :$(cat "$OWLERY_SVC_DIR/redis.port" 2>/dev/null))"
		else
			info "Bluesky dev-env: NOT running (stale state; run down)"
		fi
	else
		info "Bluesky dev-env: stopped"
	fi
	if [[ -s "$OWLERY_SVC_DIR/mastodon.pid" ]]; then
		pid="$(cat "$OWLERY_SVC_DIR/mastodon.pid")"
		if kill -0 "$pid" 2>/dev/null; then
			info "Mastodon mock (mastodon_mock): running on 127.0.0.1:$(cat "$OWLERY_SVC_DIR/mastodon.port" 2>/dev/null) (pid $pid)"
		else
			info "Mastodon mock (mastodon_mock): NOT running (stale state; run down)"
		fi
	else
		info "Mastodon mock (mastodon_mock): stopped"
	fi
}

# ---------------------------------------------------------------- Bluesky
# start_bluesky: Bluesky's own local network, npm @atproto/dev-env (PLC, PDS, AppView, Ozone in
# one node process), on Node 22 (ensure_bluesky_deps), with a redis-server of its own (loopback,
# no persistence) and a fresh database atp_<random> on the running test PostgreSQL (start_postgres
# first: a stale AppView database would point at DIDs of a PLC that lived in memory).
# dev-env's ports are fixed in its bin.js: introspection 2581, PLC 2582, PDS 2583, AppView 2584,
# Ozone 2587; a busy one fails the start (another dev-env? `scripts/services down` there).
# Ready when its log says "Dev environment is ready" and the PDS answers /xrpc/_health
# (OWLERY_BLUESKY_START_TIMEOUT, 120 s). Redis port: OWLERY_TEST_REDIS_PORT (56379, next free).
# Provides OWLERY_TEST_BLUESKY_PDS=http://127.0.0.1:2583, OWLERY_TEST_BLUESKY_APPVIEW=http://127.0.0.1:2584.
OWLERY_BLUESKY_PORTS=(2581 2582 2583 2584 2587)

start_bluesky() {
	local port pgport dbname bindir pid tmp log="$OWLERY_SVC_DIR/bluesky.log" p deadline started
	local node="$OWLERY_NODE22_DIR/bin/node" secs="${OWLERY_BLUESKY_START_TIMEOUT:-120}"
	mkdir -p "$OWLERY_SVC_DIR" || return 1
	if [[ -s "$OWLERY_SVC_DIR/bluesky.pid" || -s "$OWLERY_SVC_DIR/redis.pid" ]]; then
		err "Bluesky already started for $OWLERY_SVC_DIR (stop_all first)"
		return 1
	fi
	pgport="$(cat "$OWLERY_SVC_DIR/pg.port" 2>/dev/null)" || pgport=""
	if [[ -z "$pgport" ]]; then
		err "Bluesky's dev-env needs the test PostgreSQL: start_postgres first"
		return 1
	fi
	ensure_bluesky_deps || return 1
	if ! command -v redis-server >/dev/null 2>&1; then
		err "redis-server not found (Debian package redis-server; ensure_debian_packages)"
		return 1
	fi
	for p in "${OWLERY_BLUESKY_PORTS[@]}"; do
		if port_in_use "$p"; then
			err "port $p is in use: Bluesky's dev-env needs 127.0.0.1:${OWLERY_BLUESKY_PORTS[*]} (another dev-env running? stop it with its scripts/services down)"
			return 1
		fi
	done
	started="$(now_s)"

	# Redis: loopback only, no RDB snapshots, no AOF, data dir inside the state folder.
	port="$(free_port "${OWLERY_TEST_REDIS_PORT:-56379}")" || return 1
	mkdir -p "$OWLERY_SVC_DIR/redis" || return 1
	nohup redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
		--dir "$OWLERY_SVC_DIR/redis" --daemonize no --loglevel warning \
		>"$OWLERY_SVC_DIR/redis.log" 2>&1 </dev/null &
	pid=$!
	printf '%s\n' "$pid" >"$OWLERY_SVC_DIR/redis.pid"
	if ! wait_for_port "$port" 15 "$pid"; then
		show_log_tail "$OWLERY_SVC_DIR/redis.log"
		return 1
	fi
	printf '%s\n' "$port" >"$OWLERY_SVC_DIR/redis.port"

	# A fresh database on the test cluster for every start.
	bindir="$(pg_bin_dir)" || return 1
	dbname="atp_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	printf '%s\n' "$dbname" >"$OWLERY_SVC_DIR/bluesky.db"
	if ! "$bindir/createdb" -h 127.0.0.1 -p "$pgport" -U postgres "$dbname" >"$log" 2>&1; then
		err "createdb $dbname failed"
		show_log_tail "$log"
		return 1
	fi

	tmp="$OWLERY_SVC_DIR/bluesky-tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp" || return 1
	(cd "$OWLERY_BLUESKY_TESTS" && exec env \
		DB_POSTGRES_URL="postgresql://postgres@127.0.0.1:$pgport/$dbname" \
		REDIS_HOST="127.0.0.1:$port" LOG_ENABLED=false TMPDIR="$tmp" NODE_ENV=development \
		nohup "$node" node_modules/@atproto/dev-env/dist/bin.js >>"$log" 2>&1 </dev/null) &
	pid=$!
	printf '%s\n' "$pid" >"$OWLERY_SVC_DIR/bluesky.pid"
	deadline=$((SECONDS + secs))
	while :; do
		if grep -q 'Dev environment is ready' "$log" 2>/dev/null && _bluesky_healthy; then
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			err "Bluesky's dev-env exited during start"
			show_log_tail "$log" 40
			return 1
		fi
		if ((SECONDS >= deadline)); then
			err "Bluesky's dev-env not ready after ${secs}s"
			show_log_tail "$log" 40
			return 1
		fi
		sleep 0.2
	done
	export OWLERY_TEST_BLUESKY_PDS="http://127.0.0.1:2583"
	export OWLERY_TEST_BLUESKY_APPVIEW="http://127.0.0.1:2584"
	info "Bluesky dev-env $("$node" -p 'require(process.argv[1]).version' \
		"$OWLERY_BLUESKY_TESTS/node_modules/@atproto/dev-env/package.json" 2>/dev/null) ready in $(elapsed_since "$started"): PDS 127.0.0.1:2583, AppView 127.0.0.1:2584 (redis :$port, database $dbname)"
}

_bluesky_healthy() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -m 2 -o /dev/null http://127.0.0.1:2583/xrpc/_health 2>/dev/null
	else
		port_in_use 2583
	fi
}

# _stop_pid FILE NAME PATTERN: TERM (then KILL after 10 s) the process in FILE if its command
# line still matches PATTERN (guards against a recycled pid).
_stop_pid() {
	local file=$1 name=$2 pattern=$3 pid i
	[[ -s "$file" ]] || return 0
	pid="$(cat "$file")"
	if [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa -- "$pattern" "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "$name $pid ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}

stop_bluesky() {
	local db pgport bindir
	[[ -s "$OWLERY_SVC_DIR/bluesky.pid" || -s "$OWLERY_SVC_DIR/redis.pid" ]] || return 0
	_stop_pid "$OWLERY_SVC_DIR/bluesky.pid" "Bluesky dev-env" "dev-env/dist/bin.js"
	_stop_pid "$OWLERY_SVC_DIR/redis.pid" "redis-server" "redis-server"
	# Drop its database if the cluster still runs (it goes with the cluster otherwise).
	db="$(cat "$OWLERY_SVC_DIR/bluesky.db" 2>/dev/null)" || db=""
	pgport="$(cat "$OWLERY_SVC_DIR/pg.port" 2>/dev/null)" || pgport=""
	if [[ "$db" =~ ^atp_[0-9a-f]+$ && -n "$pgport" ]] && bindir="$(pg_bin_dir 2>/dev/null)"; then
		timeout 20 "$bindir/dropdb" -h 127.0.0.1 -p "$pgport" -U postgres --if-exists "$db" >/dev/null 2>&1 || true
	fi
	rm -rf "$OWLERY_SVC_DIR/bluesky-tmp" "$OWLERY_SVC_DIR/redis"
	rm -f "$OWLERY_SVC_DIR/bluesky.db" "$OWLERY_SVC_DIR/redis.port"
	info "Bluesky dev-env and redis stopped"
}

# ---------------------------------------------------------------- Mastodon (a mock)
# start_mastodon: PyPI mastodon_mock, a third-party, stateful FastAPI + SQLite imitation of
# Mastodon's REST API that its author tests against Mastodon.py. It is not Mastodon: no real
# Mastodon server is installable from the registries this project can reach. Installed into the
# test venv (ensure_mastodon_mock), started with an in-memory database on a free loopback port
# (OWLERY_TEST_MASTODON_PORT, 53000, next free) from a scratch folder (its working directory and
# TMPDIR: it would read a .mastodon_mock.toml or pyproject.toml there, and keeps uploaded media
# under TMPDIR). Ready when GET /api/v1/instance answers (OWLERY_MASTODON_START_TIMEOUT, 30 s).
# Provides OWLERY_TEST_MASTODON_URL=http://127.0.0.1:<port>.
start_mastodon() {
	local port pid tmp log="$OWLERY_SVC_DIR/mastodon.log" deadline started
	local secs="${OWLERY_MASTODON_START_TIMEOUT:-30}"
	mkdir -p "$OWLERY_SVC_DIR" || return 1
	if [[ -s "$OWLERY_SVC_DIR/mastodon.pid" ]]; then
		err "the Mastodon mock is already started for $OWLERY_SVC_DIR (stop_all first)"
		return 1
	fi
	ensure_mastodon_mock || return 1
	started="$(now_s)"
	port="$(free_port "${OWLERY_TEST_MASTODON_PORT:-53000}")" || return 1
	tmp="$OWLERY_SVC_DIR/mastodon-tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp" || return 1
	(cd "$tmp" && exec env TMPDIR="$tmp" nohup "$OWLERY_VENV/bin/mastodon_mock" serve --in-memory \
		--host 127.0.0.1 --port "$port" --log-level warning >"$log" 2>&1 </dev/null) &
	pid=$!
	printf '%s\n' "$pid" >"$OWLERY_SVC_DIR/mastodon.pid"
	deadline=$((SECONDS + secs))
	until _mastodon_ready "$port"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			err "the Mastodon mock exited during start"
			show_log_tail "$log"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			err "the Mastodon mock is not ready on 127.0.0.1:$port after ${secs}s"
			show_log_tail "$log"
			return 1
		fi
		sleep 0.2
	done
	printf '%s\n' "$port" >"$OWLERY_SVC_DIR/mastodon.port"
	export OWLERY_TEST_MASTODON_URL="http://127.0.0.1:$port"
	info "Mastodon mock (mastodon_mock $OWLERY_MASTODON_MOCK_VERSION, not Mastodon) ready in $(elapsed_since "$started") on 127.0.0.1:$port"
}

# _mastodon_ready PORT: GET /api/v1/instance answers 200 (the venv's python: no curl needed).
_mastodon_ready() {
	"$OWLERY_VENV/bin/python" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
		"http://127.0.0.1:$1/api/v1/instance" >/dev/null 2>&1
}

stop_mastodon() {
	[[ -s "$OWLERY_SVC_DIR/mastodon.pid" ]] || return 0
	_stop_pid "$OWLERY_SVC_DIR/mastodon.pid" "mastodon_mock" "mastodon_mock"
	rm -rf "$OWLERY_SVC_DIR/mastodon-tmp"
	rm -f "$OWLERY_SVC_DIR/mastodon.port"
	info "Mastodon mock stopped"
}
