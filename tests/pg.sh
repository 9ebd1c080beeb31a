#!/usr/bin/env bash
# tests/pg.sh -- a throwaway PostgreSQL server for the ledger's tests.
#
#   bash tests/pg.sh CMD [ARG...]
#       starts a server, runs CMD with ESCROW_TEST_PG set to a libpq conninfo
#       for it, stops the server and removes its folder (also when CMD fails or
#       the run is interrupted), and exits with CMD's status;
#   . tests/pg.sh; pg_start; ...; pg_stop
#       the same from a test script (pg_start sets ESCROW_TEST_PG and PG_DIR).
#
# The server (Debian's postgresql, the newest /usr/lib/postgresql/N) lives in a
# temporary folder: initdb there, its Unix socket there, no TCP at all. It
# refuses to run as root, so as root it runs as the 'postgres' user of the
# Debian package (or 'escrow-pg', made if neither exists). When PostgreSQL is
# not installed and cannot be, or will not start here, this says why on
# stderr ("SKIPPED: ...") and exits 77, which ctest reports as skipped.

pg_skip() {
	echo "SKIPPED: $*" >&2
	exit 77
}

pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

# PG_USER: the user the server runs as ("" when not root: the current one).
pg_user() {
	PG_USER=
	[ "$(id -u)" != 0 ] && return 0
	PG_USER=postgres
	if ! id -u "$PG_USER" >/dev/null 2>&1; then
		PG_USER=escrow-pg
		id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" ||
			pg_skip "cannot create a user for the PostgreSQL server (it refuses to run as root)"
	fi
}

# Runs a server command as PG_USER.
pg_as() {
	if [ -n "$PG_USER" ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	local bin
	bin=$(pg_bin)
	if [ -z "$bin" ]; then
		# one install at a time: ctest -j runs several of these tests at once
		# shellcheck source=tests/deps.sh
		(
			flock 9
			pg_bin >/dev/null || { . "$(dirname "${BASH_SOURCE[0]}")/deps.sh" && escrow_install_deps postgresql; }
		) 9>"${TMPDIR:-/tmp}/escrow-pg-install.lock" ||
			pg_skip "PostgreSQL is not installed and could not be (Debian package postgresql)"
		bin=$(pg_bin) || pg_skip "the postgresql package has no /usr/lib/postgresql/N/bin/initdb"
	fi
	pg_user
	PG_BINDIR=$bin
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/escrow-pg.XXXXXX")
	[ -z "$PG_USER" ] || chown "$PG_USER" "$PG_DIR"
	if ! pg_as "$bin/initdb" -D "$PG_DIR/db" -U escrow --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1; then
		tail -5 "$PG_DIR/initdb.log" >&2
		pg_stop
		pg_skip "initdb failed (PostgreSQL cannot be started here)"
	fi
	if ! pg_as "$bin/pg_ctl" -D "$PG_DIR/db" -l "$PG_DIR/server.log" -w -t 120 \
		-o "-k $PG_DIR -c listen_addresses=''" start >"$PG_DIR/pg_ctl.log" 2>&1; then
		tail -5 "$PG_DIR/server.log" >&2
		pg_stop
		pg_skip "the PostgreSQL server did not start (its log is above)"
	fi
	export ESCROW_TEST_PG="host=$PG_DIR dbname=postgres user=escrow"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/db/postmaster.pid" ]; then
		pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/db" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/db" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	[ $# -ge 1 ] || { echo "usage: bash tests/pg.sh CMD [ARG...]" >&2; exit 64; }
	trap pg_stop EXIT
	trap 'exit 130' INT TERM
	pg_start
	"$@"
	exit $?
fi
