# shellcheck shell=bash
# Shared helpers for Owlery's scripts: paths, logging, timing, small utilities.
# Sourced by scripts/test, scripts/services and the other scripts/lib/*.sh files.
# Nothing here relies on the caller's `set -e`: every function checks its own errors.

if [[ -z "${OWLERY_COMMON_SH:-}" ]]; then
OWLERY_COMMON_SH=1

OWLERY_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Everything the test harness creates lives under here (gitignored).
OWLERY_TEST_RUN_DIR="${OWLERY_TEST_RUN_DIR:-$OWLERY_REPO_ROOT/.test-run}"

# Messages go to stderr so that `eval "$(scripts/services up)"` only sees exports on stdout.
info() { printf '%s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
err() { printf 'error: %s\n' "$*" >&2; }

# Print the last lines of a log file, indented, to stderr (for failure diagnostics).
show_log_tail() {
	local file=$1 lines=${2:-30}
	if [[ -r "$file" ]]; then
		info "--- last $lines lines of $file ---"
		tail -n "$lines" "$file" | sed 's/^/  | /' >&2
		info "---"
	fi
}

# Wall-clock seconds with sub-second precision (bash 5's EPOCHREALTIME).
now_s() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# elapsed START -> "12.3s"
elapsed_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1fs", b - a }'; }

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port START: the first port >= START on which nothing listens on loopback.
free_port() {
	local p=$1 last=$(($1 + 200))
	while ((p <= last)); do
		if ! port_in_use "$p"; then
			printf '%s\n' "$p"
			return 0
		fi
		p=$((p + 1))
	done
	err "no free loopback port in $1..$last"
	return 1
}

# wait_for_port PORT SECONDS [PID]: poll (bounded) until 127.0.0.1:PORT accepts connections.
# Fails early if PID is given and that process has exited.
wait_for_port() {
	local port=$1 secs=$2 pid=${3:-}
	local deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		if port_in_use "$port"; then return 0; fi
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			err "process $pid exited before listening on 127.0.0.1:$port"
			return 1
		fi
		sleep 0.1
	done
	err "nothing listening on 127.0.0.1:$port after ${secs}s"
	return 1
}

# Run a command with root rights (we are root in CI; use sudo -n elsewhere if possible).
as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		err "need root for: $*"
		return 1
	fi
}

fi
