#!/usr/bin/env bats
# bench/lib.sh: medians, ratios and markdown rows are computed right, runs
# alternate, failing runs stop the benchmark; bench/rusage reports what a
# command cost. No timing is asserted: the figures compared are what the
# commands print or how much memory they take.

setup() {
	SRCDIR=${ECHOLOT_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$SRCDIR/build}
	export BENCH_RUSAGE=$BUILDDIR/bench/rusage
	. "$SRCDIR/bench/lib.sh"
}

@test "bench_median: odd and even counts, unsorted, decimals, blank lines" {
	[ "$(printf '3\n1\n2\n' | bench_median)" = 2 ]
	[ "$(printf '10\n2\n4\n1\n' | bench_median)" = 3 ]
	[ "$(printf '0.5\n\n0.25\n1e1\n' | bench_median)" = 0.5 ]
	[ "$(printf '7\n' | bench_median)" = 7 ]
	run bench_median </dev/null
	[ "$status" -ne 0 ]
}

@test "bench_ratio: two decimals, rounding, division by zero" {
	[ "$(bench_ratio 172 100)" = 1.72 ]
	[ "$(bench_ratio 1 3)" = 0.33 ]
	[ "$(bench_ratio 2 3)" = 0.67 ]
	[ "$(bench_ratio 5 0)" = inf ]
}

@test "bench_pair with -m out: the ratio of the medians, a markdown row, interleaved order" {
	export BENCH_MD=$BATS_TEST_TMPDIR/b.md ORDER=$BATS_TEST_TMPDIR/order
	figure() { cat; }
	# A prints 10, 30, 20 on its three runs; B always 8
	printf '10\n30\n20\n' >"$BATS_TEST_TMPDIR/a.vals"
	ca="echo a >>$ORDER; sed -n \"\$(grep -c a $ORDER)p\" $BATS_TEST_TMPDIR/a.vals"
	cb="echo b >>$ORDER; echo 8"
	run bench_pair -n 3 -m out:figure -u pps -l "fake flood" echolot "$ca" iputils "$cb"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "echolot/iputils pps = 2.50" ]
	# rounds: A B, B A, A B
	[ "$(tr -d '\n' <"$ORDER")" = abbaab ]
	row=$(tail -1 "$BENCH_MD")
	[[ $row == "| fake flood | pps | echolot 20 | iputils 8 | **echolot/iputils pps = 2.50** | 3 | "* ]]
	[[ $row == *'`echo b >>'*'; echo 8` |' ]]
}

@test "bench_pair -m rss: a command that touches 64 MiB has the larger peak" {
	big="python3 -c 'b = bytearray(64 << 20)'"
	run bench_pair -n 1 -m rss big "$big" small "true"
	[ "$status" -eq 0 ]
	ratio=${lines[0]##* = }
	echo "ratio $ratio"
	awk -v r="$ratio" 'BEGIN { exit !(r > 5) }'
}

@test "bench_pair stops when a run fails, unless -x accepts its status" {
	run bench_pair -n 2 ok "true" bad "exit 3"
	[ "$status" -eq 1 ]
	[[ $output == *"'exit 3' exited with 3"* ]]
	figure() { echo 1; }
	run bench_pair -n 2 -x 3 -m out:figure ok "true" bad "exit 3"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ok/bad out = 1.00" ]
}

@test "bench/rusage: report line, exit status passed on, bad usage exits 2" {
	run "$BENCH_RUSAGE" --output "$BATS_TEST_TMPDIR/r" -- sh -c 'echo hi; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hi ]
	grep -Eq '^wall=[0-9]+\.[0-9]{6} user=[0-9.]+ sys=[0-9.]+ maxrss_kb=[1-9][0-9]* status=3$' \
		"$BATS_TEST_TMPDIR/r"
	run "$BENCH_RUSAGE" -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	[[ $output == *"status=143"* ]]
	run "$BENCH_RUSAGE" --bogus -- true
	[ "$status" -eq 2 ]
	[[ $output == "rusage: unknown option '--bogus'"* ]]
	run "$BENCH_RUSAGE" --output x
	[ "$status" -eq 2 ]
	[[ $output == *"no command"* ]]
}

@test "bench_pair -m rate/wall/cpu: figures from the rusage line (a fake rusage fixes the times)" {
	fake=$BATS_TEST_TMPDIR/fake-rusage
	# reports wall=2.5 user=0.75 sys=0.25 for A, wall=0.5 user=0.1 sys=0.1 for B
	cat >"$fake" <<-'FAKE'
		#!/bin/bash
		out=$2; shift 3
		case $* in
		*side-a*) echo "wall=2.500000 user=0.750000 sys=0.250000 maxrss_kb=4000 status=0" ;;
		*) echo "wall=0.500000 user=0.100000 sys=0.100000 maxrss_kb=1000 status=0" ;;
		esac >"$out"
	FAKE
	chmod +x "$fake"
	export BENCH_RUSAGE=$fake
	run bench_pair -n 2 -m rate:1000 -u pps echolot "true side-a" iputils "true side-b"
	# A: 1000/2.5 = 400 pps, B: 1000/0.5 = 2000 pps
	[ "${lines[0]}" = "echolot/iputils pps = 0.20" ]
	run bench_pair -n 2 -m wall echolot "true side-a" iputils "true side-b"
	[ "${lines[0]}" = "echolot/iputils wall = 5.00" ]
	run bench_pair -n 2 -m cpu echolot "true side-a" iputils "true side-b"
	[ "${lines[0]}" = "echolot/iputils cpu = 5.00" ]
	run bench_pair -n 2 -m rss echolot "true side-a" iputils "true side-b"
	[ "${lines[0]}" = "echolot/iputils rss = 4.00" ]
}

@test "bench/ping_bare: every probe answered, on one thread and on two; bad usage exits 2" {
	bare=$BUILDDIR/bench/ping_bare
	run "$bare" 200 raw
	[ "$status" -eq 0 ]
	[ "$output" = "sent 200 received 200 threads 1" ]
	# two raw sockets see each other's replies: each takes only its own
	run "$bare" 201 raw 2
	[ "$status" -eq 0 ]
	[ "$output" = "sent 201 received 201 threads 2" ]
	for bad in "0 raw" "10 udp" "10 raw 3" "10"; do
		# shellcheck disable=SC2086
		run "$bare" $bad
		[ "$status" -eq 2 ]
		[ "$output" = "usage: ping_bare COUNT raw|dgram [1|2]" ]
	done
}
