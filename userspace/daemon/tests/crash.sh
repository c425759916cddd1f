# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# crash_loop DB N (sourced): N times, start "helper-store writer" on DB
# (enrollments as fast as the store commits them, each logged once the
# store returned), kill -9 it after a random 20 to 400 ms, then check with
# "helper-store verify" that no member id was handed out twice, every
# logged enrollment is in the database with its key and the secrets did
# not change.  Fails at the first bad round.

crash_loop()
{
	local db=$1 rounds=$2 key=$PWD/master.key log=$PWD/enrolled.log i pid ms
	local before after
	: > "$log"
	for i in $(seq "$rounds"); do
		before=$(wc -l < "$log")
		"$GRPSECD_TESTS/helper-store" writer "$db" "$key" "$log" > writer.out 2>&1 &
		pid=$!
		ms=$((20 + RANDOM % 380))
		sleep "$(printf '0.%03d' "$ms")"
		kill -9 "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
		if grep -q . writer.out; then
			echo "round $i: the writer stopped by itself:"
			cat writer.out
			return 1
		fi
		after=$(wc -l < "$log")
		if ! "$GRPSECD_TESTS/helper-store" verify "$db" "$key" "$log" > verify.out 2>&1; then
			echo "round $i (killed after $ms ms):"
			cat verify.out
			return 1
		fi
		echo "round $i: killed after $ms ms, $((after - before - 1)) enrollments: $(tail -n 1 verify.out)"
	done
}
