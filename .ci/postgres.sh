#!/bin/sh
# Starts a throwaway PostgreSQL server for the sqlstore tests and exports its
# DSN as TICKETSYNC_POSTGRES_DSN.
#
#   . .ci/postgres.sh          # source it: installs (if missing), starts, exports
#   .ci/postgres.sh            # or run it: prints the DSN on stdout
#   .ci/postgres.sh stop       # stops the server (the data directory stays)
#
# It is idempotent: a server already started by it is reused, and a second
# call only exports the DSN again. It needs no standard input. Installing the
# Debian package needs root (or sudo); everything else runs as the postgres
# user when called as root, and as the calling user otherwise.
#
# Settings, all optional:
#   TICKETSYNC_PG_PORT  port on 127.0.0.1 (default 55432; the next free port
#                       up to 55452 is taken when it is busy)
#   TICKETSYNC_PG_DATA  data directory (default $TMPDIR/ticketsync-postgres)
#   TICKETSYNC_PG_DB    database name (default ticketsync)
#
# The server trusts local connections and listens on 127.0.0.1 only: it is
# for tests, never for data worth keeping.

ticketsync_pg_main() {
	_ts_data=${TICKETSYNC_PG_DATA:-${TMPDIR:-/tmp}/ticketsync-postgres}
	_ts_db=${TICKETSYNC_PG_DB:-ticketsync}
	_ts_port=${TICKETSYNC_PG_PORT:-55432}

	_ts_log() { echo "postgres.sh: $*" >&2; }

	# as_pg runs a command as the owner of the data directory.
	if [ "$(id -u)" = 0 ]; then
		_ts_as_pg() { (cd / && runuser -u postgres -- "$@" </dev/null); }
	else
		_ts_as_pg() { "$@" </dev/null; }
	fi

	_ts_find_bin() {
		for _ts_d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
			if [ -x "$_ts_d/initdb" ] && [ -x "$_ts_d/pg_ctl" ]; then
				echo "$_ts_d"
				return 0
			fi
		done
		return 1
	}

	_ts_bin=$(_ts_find_bin)
	if [ -z "$_ts_bin" ]; then
		_ts_log "installing PostgreSQL (Debian package postgresql)"
		_ts_sudo=
		if [ "$(id -u)" != 0 ]; then
			if command -v sudo >/dev/null 2>&1; then
				_ts_sudo="sudo -n"
			else
				_ts_log "PostgreSQL is not installed and this is not root; install the postgresql package"
				return 1
			fi
		fi
		DEBIAN_FRONTEND=noninteractive $_ts_sudo apt-get update -q </dev/null >&2 || return 1
		DEBIAN_FRONTEND=noninteractive $_ts_sudo apt-get install -y -q --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			postgresql </dev/null >&2 || return 1
		_ts_bin=$(_ts_find_bin)
		if [ -z "$_ts_bin" ]; then
			_ts_log "postgresql installed but no initdb found under /usr/lib/postgresql"
			return 1
		fi
	fi

	if [ "${1:-}" = stop ]; then
		if [ -f "$_ts_data/postmaster.pid" ]; then
			_ts_as_pg "$_ts_bin/pg_ctl" -D "$_ts_data" -m fast -w stop >&2 || return 1
		fi
		return 0
	fi

	if [ ! -f "$_ts_data/PG_VERSION" ]; then
		_ts_log "creating data directory $_ts_data"
		mkdir -p "$_ts_data" || return 1
		if [ "$(id -u)" = 0 ]; then
			chown postgres:postgres "$_ts_data" || return 1
		fi
		chmod 700 "$_ts_data" || return 1
		_ts_as_pg "$_ts_bin/initdb" -D "$_ts_data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >"${TMPDIR:-/tmp}/ticketsync-initdb.log" 2>&1 || {
			_ts_log "initdb failed:"
			cat "${TMPDIR:-/tmp}/ticketsync-initdb.log" >&2
			return 1
		}
	fi

	# Reuse the server when this data directory's is already up.
	if _ts_as_pg "$_ts_bin/pg_ctl" -D "$_ts_data" status >/dev/null 2>&1; then
		# Line 4 of postmaster.pid is the port the server listens on.
		_ts_port=$(sed -n 4p "$_ts_data/postmaster.pid")
	else
		_ts_free=
		_ts_last=$((_ts_port + 20))
		while [ "$_ts_port" -le "$_ts_last" ]; do
			if ! "$_ts_bin/pg_isready" -q -h 127.0.0.1 -p "$_ts_port" -t 1 >/dev/null 2>&1 &&
				! (exec 3<>"/dev/tcp/127.0.0.1/$_ts_port") 2>/dev/null; then
				_ts_free=$_ts_port
				break
			fi
			_ts_port=$((_ts_port + 1))
		done
		if [ -z "$_ts_free" ]; then
			_ts_log "no free port near ${TICKETSYNC_PG_PORT:-55432}"
			return 1
		fi
		_ts_log "starting PostgreSQL on 127.0.0.1:$_ts_port"
		_ts_as_pg "$_ts_bin/pg_ctl" -D "$_ts_data" -l "$_ts_data/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $_ts_port -c unix_socket_directories='$_ts_data' -c max_connections=200" \
			start >&2 || {
			_ts_log "server did not start; its log:"
			tail -n 30 "$_ts_data/server.log" >&2
			return 1
		}
	fi

	_ts_psql() { _ts_as_pg "$_ts_bin/psql" -X -q -h 127.0.0.1 -p "$_ts_port" -U postgres "$@"; }
	if [ "$(_ts_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$_ts_db'")" != 1 ]; then
		_ts_psql -d postgres -c "CREATE DATABASE \"$_ts_db\"" >&2 || return 1
	fi

	TICKETSYNC_POSTGRES_DSN="postgres://postgres@127.0.0.1:$_ts_port/$_ts_db?sslmode=disable"
	export TICKETSYNC_POSTGRES_DSN
	echo "TICKETSYNC_POSTGRES_DSN=$TICKETSYNC_POSTGRES_DSN"
	return 0
}

ticketsync_pg_main "$@"
_ts_status=$?
unset -f ticketsync_pg_main _ts_log _ts_as_pg _ts_find_bin _ts_psql 2>/dev/null
# Sourced, "return" keeps the caller's shell; run, "exit" ends the script.
return $_ts_status 2>/dev/null || exit $_ts_status
