# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A throw-away PostgreSQL cluster for the storage tests (sourced):
#
#   pg_start DIR   initdb in DIR/data, a server listening only on a unix
#                  socket in DIR, a database "grpsec"; sets pg_db to its
#                  "postgresql:..." location and pg_data to its files.
#                  Exits 77 (skip) when the server binaries are missing.
#   pg_newdb NAME  another database in the cluster: prints its location
#   pg_stop        stop the server (also at exit)
#
# pg_initdb_args: more options for initdb (e.g. --waldir=DIR).
#
# initdb refuses to run as root: as root the cluster belongs to the
# "postgres" user (Debian's package creates it) or to "nobody".

# shellcheck disable=SC2012 # the version directories have plain names
pgbin=${GRPSECD_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)}
pg_dir=
pg_user=

pg_run()
{
	if [ -n "$pg_user" ]; then
		runuser -u "$pg_user" -- "$@"
	else
		"$@"
	fi
}

pg_start()
{
	pg_dir=$1
	if [ ! -x "$pgbin/initdb" ] || [ ! -x "$pgbin/pg_ctl" ]; then
		echo "PostgreSQL server binaries not found (Debian package postgresql)"
		exit 77
	fi
	if [ "$(id -u)" = 0 ]; then
		pg_user=postgres
		id -u postgres > /dev/null 2>&1 || pg_user=nobody
	fi
	pg_data=$pg_dir/data
	mkdir -p "$pg_data"
	# The cluster's user must reach its directory inside ours.
	chmod 755 "$pg_dir" "$(dirname "$pg_dir")"
	chmod 700 "$pg_data"
	[ -n "$pg_user" ] && chown "$pg_user" "$pg_dir" "$pg_data"
	# shellcheck disable=SC2086 # pg_initdb_args: options, split on purpose
	pg_run "$pgbin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-locale \
		${pg_initdb_args:-} \
		> "$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log"; return 1; }
	trap pg_stop EXIT
	pg_run "$pgbin/pg_ctl" -D "$pg_data" -l "$pg_dir/server.log" -w -t 60 \
		-o "-k $pg_dir -c listen_addresses= -c fsync=on" start > /dev/null ||
		{ cat "$pg_dir/server.log"; return 1; }
	pg_run "$pgbin/createdb" -h "$pg_dir" -U postgres grpsec || return 1
	# shellcheck disable=SC2034 # for the sourcing test
	pg_db="postgresql:host=$pg_dir dbname=grpsec user=postgres"
}

pg_newdb()
{
	pg_run "$pgbin/createdb" -h "$pg_dir" -U postgres "$1" &&
		echo "postgresql:host=$pg_dir dbname=$1 user=postgres"
}

pg_stop()
{
	[ -n "$pg_dir" ] && [ -f "$pg_data/postmaster.pid" ] &&
		pg_run "$pgbin/pg_ctl" -D "$pg_data" -m fast -w stop > /dev/null
	return 0
}
