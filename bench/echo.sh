#!/bin/bash
# bench/echo.sh - echolot's echo server against xinetd's internal echo,
# socat fork EXEC:cat, ncat --exec cat and a bare epoll loop
# (bench/echo_bare.c, the yardstick), under bench/echo_load.c: a closed-loop,
# byte-checking load generator. Loopback only; every run is bounded by
# --secs and the connection count.
#
#   bench/echo.sh [--reps N] [--secs S] [--rows LIST] [--anchors LIST]
#                 [--md FILE]
#
# Rows: tcp1 tcp16 tcp256 (64 B messages), tcp1k tcp16k tcp256k (64 KiB),
# udp16 (16 sockets, 64 B datagrams). Default: all. Anchors: bare xinetd
# socat ncat (socat and ncat only for TCP). The figure is round
# trips (or datagrams) per second, median of N interleaved runs; the
# ratio line is echolot/anchor. Server and load generator are pinned to the
# same CPU (taskset -c 0): a reply answered on the other vCPU costs tens of
# microseconds here and would swamp the difference. After the ratios a
# table gives each server's summed RSS and how many connections it served
# (from the same runs; RSS sampled at 70 % of each run).
#
# echolot runs with every rule on; only the caps and rates the load needs
# are raised (--max-conns, --max-conns-per-source, --rate, --burst,
# --global-rate), as an operator would for a test network.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

reps=3 secs=1 rows="tcp1 tcp16 tcp256 tcp1k tcp16k tcp256k udp16" md=""
want_anchors="bare xinetd socat ncat"
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--rows) rows=$2; shift 2 ;;
	--anchors) want_anchors=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	-h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/echo.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
awk -v s="$secs" 'BEGIN { exit !(s > 0 && s <= 10) }' ||
	{ echo "bench/echo.sh: --secs must be in (0, 10]" >&2; exit 2; }

builddir=${ECHOLOT_BUILDDIR:-$here/../build}
export ECHOLOT=${ECHOLOT:-$builddir/echolot}
tools=$(mktemp -d "${TMPDIR:-/tmp}/echo-bench.XXXXXX")
trap 'rm -rf "$tools"' EXIT
cc -O2 -o "$tools/echo_load" "$here/echo_load.c" &&
	cc -O2 -o "$tools/echo_bare" "$here/echo_bare.c" || exit 2
export EB_TOOLS=$tools EB_SECS=$secs EB_RAW=$tools/raw
: >"$EB_RAW"

# eb_start SERVER PORT: starts SERVER in a session of its own on PORT;
# prints its pid once it listens there (the listener must be that session).
eb_start() {
	local server=$1 port=$2 pid i
	case $server in
	echolot) setsid taskset -c 0 "$ECHOLOT" echo --serve --listen "127.0.0.1:$port" \
		--max-conns 1024 --max-conns-per-source 1024 --rate 1e7 \
		--burst 1e7 --global-rate 1e8 >/dev/null 2>&1 & ;;
	bare) setsid taskset -c 0 "$EB_TOOLS/echo_bare" "$port" >/dev/null 2>&1 & ;;
	socat) setsid taskset -c 0 socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		EXEC:cat >/dev/null 2>&1 & ;;
	ncat) setsid taskset -c 0 ncat -l 127.0.0.1 "$port" -k -e /bin/cat >/dev/null 2>&1 & ;;
	xinetd)
		eb_xinetd_conf "$port" >"$EB_TOOLS/xinetd.$port"
		setsid taskset -c 0 xinetd -dontfork -f "$EB_TOOLS/xinetd.$port" \
			-pidfile "$EB_TOOLS/xinetd.$port.pid" >/dev/null 2>&1 & ;;
	esac
	pid=$!
	for i in $(seq 250); do
		if ss -Hltnp "sport = :$port" | grep -q "pid=$pid,"; then
			echo "$pid"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	kill -TERM -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

# xinetd's internal echo, TCP and UDP, on PORT; no connection-rate guard
# (cps) and no instance limit, so that it is measured, not its throttle.
eb_xinetd_conf() {
	local type proto wait
	for type in stream dgram; do
		proto=tcp wait=no
		[ "$type" = dgram ] && proto=udp wait=yes
		printf '%s\n' "service echo" "{" "	type = INTERNAL UNLISTED" \
			"	id = echo-$type" "	socket_type = $type" \
			"	protocol = $proto" "	port = $1" "	bind = 127.0.0.1" \
			"	user = root" "	wait = $wait" "	instances = UNLIMITED" \
			"	cps = 100000 1" "}"
	done
}

# eb_run SERVER PROTO CONNS SIZE: start SERVER on a free port, drive it,
# print "rt N rate R errors E served S/C rss KiB", stop it. The RSS is the
# server's whole session (forked children too), sampled during the load.
eb_run() {
	local server=$1 proto=$2 conns=$3 size=$4 port pid="" out rss try load
	for try in 1 2 3; do
		port=$(( 30000 + RANDOM % 20000 ))
		pid=$(eb_start "$server" "$port") && break
	done
	[ -n "$pid" ] || { echo "eb_run: $server did not start" >&2; return 1; }
	out=$EB_TOOLS/load.$port
	timeout 30 taskset -c 0 "$EB_TOOLS/echo_load" "$proto" 127.0.0.1 \
		"$port" "$conns" "$size" "$EB_SECS" >"$out" &
	load=$!
	sleep "$(awk -v s="$EB_SECS" 'BEGIN { print s * 0.7 }')"
	rss=$(ps -eo sid=,rss= | awk -v s="$pid" '$1 == s { t += $2 } END { print t + 0 }')
	wait "$load"
	kill -TERM -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "$(cat "$out") rss $rss"
	echo "$server $proto $conns $size $(cat "$out") rss $rss" >>"$EB_RAW"
}
export -f eb_start eb_xinetd_conf eb_run

eb_rate() { awk '{ for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1) }'; }

row_args() {
	case $1 in
	tcp1) echo "tcp 1 64" ;;
	tcp16) echo "tcp 16 64" ;;
	tcp256) echo "tcp 256 64" ;;
	tcp1k) echo "tcp 1 65536" ;;
	tcp16k) echo "tcp 16 65536" ;;
	tcp256k) echo "tcp 256 65536" ;;
	udp16) echo "udp 16 64" ;;
	*) return 1 ;;
	esac
}

[ -z "$md" ] || { BENCH_MD=$md; export BENCH_MD; bench_md_header >>"$md"; }
for row in $rows; do
	args=$(row_args "$row") || { echo "bench/echo.sh: unknown row '$row'" >&2; exit 2; }
	read -r proto conns size <<<"$args"
	for a in $want_anchors; do
		[ "$proto" = udp ] && [ "$a" != bare ] && [ "$a" != xinetd ] && continue
		bench_pair -n "$reps" -m out:eb_rate -u "$proto rt/s" \
			-l "$conns x $size B $proto, ${secs}s" \
			echolot "eb_run echolot $args" "$a" "eb_run $a $args" || exit 1
	done
done

# Memory and service from the same runs: median summed RSS and the
# connections that got at least one round trip.
summary() {
	echo
	echo "| Server | Load | Median RSS (KiB, whole process tree) | Served (median) | Errors |"
	echo "|---|---|---|---|---|"
	awk '{ key = $1 " " $2 " " $3 "x" $4; rss[key] = rss[key] " " $NF
	       split($12, s, "/"); srv[key] = srv[key] " " s[1]; tot[key] = s[2]
	       err[key] += $10 }
	     END { for (k in rss) print k "|" rss[k] "|" srv[k] "|" tot[k] "|" err[k] }' "$EB_RAW" |
	sort | while IFS='|' read -r key r s t e; do
		set -- $key
		printf '| %s | %s %s | %s | %s/%s | %s |\n' "$1" "$2" "$3" \
			"$(tr ' ' '\n' <<<"$r" | grep . | bench_median)" \
			"$(tr ' ' '\n' <<<"$s" | grep . | bench_median)" "$t" "$e"
	done
}
summary
[ -z "$md" ] || summary >>"$md"
