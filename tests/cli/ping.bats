#!/usr/bin/env bats
# echolot ping on loopback: the iputils output format (compared with the
# real iputils ping run in the same test), options, the report, JSON,
# Nagios, many targets, signals, the TCP/UDP modes, and one-line errors
# with exit 2 for every bad option or value. Runs as root.

load ../helpers/wait

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
}

teardown() {
	if [ -n "${BG_PID:-}" ]; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
}

# The output with every number replaced by N: the shape of the text.
shape() {
	sed -E 's/[0-9]+(\.[0-9]+)?/N/g'
}

# The iputils part of a run: everything up to the rtt summary line.
iputils_part() {
	sed -n '1,/^rtt min\/avg\/max\/mdev/p'
}

@test "IPv4: header, replies, statistics look exactly like iputils ping" {
	run "$ECHOLOT" ping -c 3 -i 0.2 127.0.0.1
	[ "$status" -eq 0 ]
	ours=$output
	theirs=$(ping -c 3 -i 0.2 127.0.0.1)
	echo "$ours"
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data." ]
	[[ ${lines[1]} =~ ^"64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time="[0-9]+\.[0-9]{3}" ms"$ ]]
	[[ ${lines[3]} =~ ^"64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=" ]]
	# (bats drops empty lines from $lines; the diff below checks them)
	[ "${lines[4]}" = "--- 127.0.0.1 ping statistics ---" ]
	[[ ${lines[5]} =~ ^"3 packets transmitted, 3 received, 0% packet loss, time "[0-9]+ms$ ]]
	[[ ${lines[6]} =~ ^"rtt min/avg/max/mdev = "[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+" ms"$ ]]
	# same shape as iputils, line for line
	diff <(iputils_part <<<"$ours" | shape) <(iputils_part <<<"$theirs" | shape)
}

@test "the report adds the Nping block, percentiles and jitter" {
	run "$ECHOLOT" ping -c 2 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output =~ "Max rtt: "[0-9.]+"ms | Min rtt: "[0-9.]+"ms | Avg rtt: "[0-9.]+ms ]]
	[[ $output == *"Raw packets sent: 2 (168B) | Rcvd: 2 (168B) | Lost: 0 (0.00%)"* ]]
	[[ $output =~ "Tx time: "[0-9.]+s ]]
	[[ $output =~ "Rx time: "[0-9.]+s ]]
	[[ $output =~ "p50 "[0-9.]+"ms | p90 "[0-9.]+"ms | p99 "[0-9.]+ms ]]
	[[ $output == *"Jitter: "* ]]
}

@test "IPv6 ::1: iputils' v6 header and hop limit" {
	run "$ECHOLOT" ping -c 2 -i 0.2 ::1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING ::1(::1) 56 data bytes" ]
	[ "${lines[0]}" = "$(ping -c 1 ::1 | head -n1)" ]
	[[ ${lines[1]} =~ ^"64 bytes from ::1: icmp_seq=1 ttl=64 time=" ]]
	[[ $output == *"2 packets transmitted, 2 received, 0% packet loss"* ]]
}

@test "-4 and -6 pick the family of a name" {
	run "$ECHOLOT" ping -4 -c 1 localhost
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING localhost (127.0.0.1) 56(84) bytes of data." ]
	[[ ${lines[1]} == "64 bytes from localhost (127.0.0.1): icmp_seq=1 ttl=64 time="* ]]
	[ "${lines[2]}" = "--- localhost ping statistics ---" ]
	run "$ECHOLOT" ping -4 -n -c 1 localhost
	[[ ${lines[1]} == "64 bytes from 127.0.0.1: icmp_seq=1 "* ]]
}

@test "-s sets the payload: header and reply sizes as iputils" {
	run "$ECHOLOT" ping -c 1 -s 1000 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) 1000(1028) bytes of data." ]
	[[ ${lines[1]} == "1008 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time="* ]]
	run "$ECHOLOT" ping -c 1 -s 0 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "8 bytes from 127.0.0.1: icmp_seq=1 ttl=64"* ]]
}

@test "-q prints the header and the report only" {
	run "$ECHOLOT" ping -q -c 3 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output != *"bytes from"* ]]
	[ "${lines[1]}" = "--- 127.0.0.1 ping statistics ---" ]
}

@test "-D prefixes epoch timestamps; --timestamp-format iso and rel" {
	now=$(date +%s)
	run "$ECHOLOT" ping -D -c 1 127.0.0.1
	[[ ${lines[1]} =~ ^\[([0-9]+)\.[0-9]{6}\]" 64 bytes from" ]]
	t=${BASH_REMATCH[1]}
	[ $((t - now)) -ge 0 ] && [ $((t - now)) -le 5 ]
	run "$ECHOLOT" ping --timestamp-format iso -c 1 127.0.0.1
	[[ ${lines[1]} =~ ^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[-+][0-9:]+\]" 64 bytes" ]]
	run "$ECHOLOT" ping --timestamp-format rel -c 1 127.0.0.1
	[[ ${lines[1]} =~ ^\[\+0\.[0-9]+\]" 64 bytes" ]]
}

@test "-p pattern, -t ttl, -Q tos, -M do are accepted and the replies come back" {
	run "$ECHOLOT" ping -c 1 -p ff00 -t 5 -Q 0x10 -M do 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"1 received"* ]]
}

@test "-p fills the payload on the wire" {
	# only an echo request whose 8 data bytes are all a5 is captured
	timeout 10 tcpdump -i lo -U -c 1 -w "$BATS_TEST_TMPDIR/p.pcap" \
		'icmp[icmptype] == icmp-echo and icmp[8:4] == 0xa5a5a5a5 and icmp[12:4] == 0xa5a5a5a5' 2>/dev/null &
	BG_PID=$!
	sleep 1
	"$ECHOLOT" ping -c 1 -s 8 -p a5 127.0.0.1
	wait "$BG_PID"; BG_PID=
	run tcpdump -r "$BATS_TEST_TMPDIR/p.pcap" -n
	[[ $output == *"127.0.0.1 > 127.0.0.1: ICMP echo request"*"length 16"* ]]
}

@test "-I with a source address and with an interface" {
	run "$ECHOLOT" ping -c 1 -I 127.0.0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) from 127.0.0.1 127.0.0.1: 56(84) bytes of data." ]
	run "$ECHOLOT" ping -c 1 -I lo 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"1 received"* ]]
	run "$ECHOLOT" ping -c 1 -I nosuchif0 127.0.0.1
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "echolot ping: -I nosuchif0: no such interface" ]]
}

@test "-f floods with dots (root) and -l preloads" {
	run "$ECHOLOT" ping -f -c 200 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"200 packets transmitted, 200 received"* ]]
	# one dot per probe, each taken back by the reply
	dots=$(sed -n 2p <<<"$output" | tr -cd . | wc -c)
	[ "$dots" -eq 200 ]
	run "$ECHOLOT" ping -l 5 -c 5 -q 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"5 packets transmitted, 5 received"* ]]
}

@test "-f and -i below 2ms are refused for an unprivileged user" {
	run setpriv --reuid nobody --regid nogroup --clear-groups "$ECHOLOT" ping -f -c 1 127.0.0.1
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "echolot ping: -f: flood needs root"* ]]
	run setpriv --reuid nobody --regid nogroup --clear-groups "$ECHOLOT" ping -i 0.001 -c 1 127.0.0.1
	[ "$status" -eq 2 ]
	[[ $output == "echolot ping: -i: intervals below 2ms"* ]]
}

@test "no ICMP socket at all: one line naming root, CAP_NET_RAW and the sysctl, exit 2" {
	# in a throwaway network namespace whose ping_group_range admits
	# nobody (the host's may admit everyone)
	run unshare -n sh -c 'ip link set lo up &&
		sysctl -q -w net.ipv4.ping_group_range="1 0" &&
		exec setpriv --reuid nobody --regid nogroup --clear-groups "$0" ping -c 1 127.0.0.1' "$ECHOLOT"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "echolot ping: "*root*CAP_NET_RAW*ping_group_range* ]]
}

@test "-w deadline stops a run without -c; -c with -w waits for COUNT replies" {
	run "$ECHOLOT" ping -w 1 -i 0.2 -q 127.0.0.1
	[ "$status" -eq 0 ]
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$output")
	[ "$sent" -ge 4 ] && [ "$sent" -le 6 ]
	run "$ECHOLOT" ping -w 5 -c 2 -i 0.1 -q 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"2 packets transmitted, 2 received"* ]]
}

@test "-O, -a, -3, -U, -d, -r, -B, -L, -S, -e, --connect, -A run and answer" {
	run "$ECHOLOT" ping -c 2 -i 0.1 -O -a -3 -U -B -L -S 65536 -e 4242 --connect 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"2 received"* ]]
	[[ $output != *"no answer yet"* ]]
	run "$ECHOLOT" ping -c 3 -A -q 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output == *"3 received"* ]]
	run "$ECHOLOT" ping -c 1 -d -r 127.0.0.1
	[ "$status" -eq 0 ]
}

@test "--connect with two targets connects nothing and both answer" {
	# One socket serves both targets, so it cannot be connected to
	# either; the sends must still name their target.
	run "$ECHOLOT" ping --connect -c 2 -i 0.1 127.0.0.1 127.0.0.2
	[ "$status" -eq 0 ]
	[[ $output == *"127.0.0.1 ping statistics ---"$'\n'"2 packets transmitted, 2 received"* ]]
	[[ $output == *"127.0.0.2 ping statistics ---"$'\n'"2 packets transmitted, 2 received"* ]]
	[[ $output != *"sendto"* ]]
}

@test "two runs at once each count only their own replies (identifier match)" {
	# Both raw sockets see every reply; a run that took the other's
	# reply for its own would then print its own as (DUP!).
	for round in 1 2 3 4; do
		"$ECHOLOT" ping -c 5 -i 0.05 127.0.0.1 >"$BATS_TEST_TMPDIR/a" &
		BG_PID=$!
		run "$ECHOLOT" ping -c 5 -i 0.05 127.0.0.1
		wait "$BG_PID"; BG_PID=
		[[ $output == *"5 packets transmitted, 5 received, 0% packet loss"* ]]
		[[ $output != *DUP* ]]
		grep -q "5 packets transmitted, 5 received, 0% packet loss" "$BATS_TEST_TMPDIR/a"
		! grep -q DUP "$BATS_TEST_TMPDIR/a"
	done
}

@test "-v prints Nping-style SENT and RCVD lines" {
	run "$ECHOLOT" ping -v -c 1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ $output =~ "SENT ("[0-9]+\.[0-9]{4}"s) ICMP" ]]
	[[ $output =~ "RCVD ("[0-9]+\.[0-9]{4}"s) ICMP" ]]
	[[ $output == *"Echo request"* ]]
	[[ $output == *"Echo reply"* ]]
}

@test "--json: one valid object per line, replies and a summary with the text's numbers" {
	run "$ECHOLOT" ping --json -c 3 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		python3 -m json.tool <<<"$l" >/dev/null
	done
	[ "$(jq -r .type <<<"${lines[0]}")" = reply ]
	[ "$(jq -r .seq <<<"${lines[2]}")" = 3 ]
	[ "$(jq -r .ttl <<<"${lines[0]}")" = 64 ]
	[ "$(jq -r .from <<<"${lines[0]}")" = 127.0.0.1 ]
	[ "$(jq -r .type <<<"${lines[3]}")" = summary ]
	[ "$(jq -r .sent <<<"${lines[3]}")" = 3 ]
	[ "$(jq -r .received <<<"${lines[3]}")" = 3 ]
	[ "$(jq -r .version <<<"${lines[3]}")" = 1 ]
	# the summary's min is the smallest reply rtt
	min=$(printf '%s\n' "${lines[@]:0:3}" | jq -s 'map(.rtt_ms) | min')
	[ "$(jq .rtt_min_ms <<<"${lines[3]}")" = "$min" ]
}

@test "--check: Nagios line with perfdata and check_icmp's exit codes" {
	run "$ECHOLOT" ping -c 2 -i 0.1 --check warn=100,20%,crit=500,60% 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "PING OK - 127.0.0.1 "*"|rta="*"ms;100.000;500.000;0; pl=0%;20;60;0;100 rtmin="*"rtmax="* ]]
	run "$ECHOLOT" ping -c 2 -i 0.1 --check 'warn=0,20% crit=500,60%' 127.0.0.1
	[ "$status" -eq 1 ]
	[[ $output == "PING WARNING - "* ]]
	run "$ECHOLOT" ping -c 2 -i 0.1 --check warn=0,0%,crit=0,0% 127.0.0.1
	[ "$status" -eq 2 ]
	[[ $output == "PING CRITICAL - "* ]]
}

@test "many targets: interleaved, a statistics block and an fping line each" {
	run "$ECHOLOT" ping -c 3 -i 0.1 127.0.0.1 127.0.0.2 ::1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data." ]
	[ "${lines[1]}" = "PING 127.0.0.2 (127.0.0.2) 56(84) bytes of data." ]
	[ "${lines[2]}" = "PING ::1(::1) 56 data bytes" ]
	# round robin: the first three replies are one per target
	[[ ${lines[3]} == "64 bytes from 127.0.0.1: icmp_seq=1 "* ]]
	[[ ${lines[4]} == "64 bytes from 127.0.0.2: icmp_seq=1 "* ]]
	[[ ${lines[5]} == "64 bytes from ::1: icmp_seq=1 "* ]]
	[ "$(grep -c 'bytes from' <<<"$output")" -eq 9 ]
	[[ $output == *"--- 127.0.0.2 ping statistics ---"* ]]
	[[ $output =~ "127.0.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = "[0-9.]+/[0-9.]+/[0-9.]+ ]]
	[[ $output =~ "::1 : xmt/rcv/%loss = 3/3/0%" ]]
	[[ $output == *"Raw packets sent: 9 "* ]]
}

@test "-C lists every rtt per target" {
	run "$ECHOLOT" ping -C 3 -i 0.1 -q 127.0.0.1 127.0.0.2
	[ "$status" -eq 0 ]
	[[ $output =~ "127.0.0.1 : "[0-9]+\.[0-9]{3}" "[0-9]+\.[0-9]{3}" "[0-9]+\.[0-9]{3} ]]
	[[ $output =~ "127.0.0.2 : "[0-9]+\.[0-9]{3}" "[0-9.]+" "[0-9.]+ ]]
}

@test "--json with many targets: one summary per target" {
	run "$ECHOLOT" ping --json -c 2 -i 0.1 127.0.0.1 127.0.0.2
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.type == "summary") | .target' <<<"$output" | sort | tr '\n' ' ')" = "127.0.0.1 127.0.0.2 " ]
	[ "$(jq -r 'select(.type == "reply") | .target' <<<"$output" | wc -l)" -eq 4 ]
}

@test "--openmetrics writes the summary file atomically" {
	f=$BATS_TEST_TMPDIR/ping.prom
	run "$ECHOLOT" ping -q -c 2 -i 0.1 --openmetrics "$f" 127.0.0.1
	[ "$status" -eq 0 ]
	grep -q '^echolot_ping_packets_sent{target="127.0.0.1",addr="127.0.0.1"} 2$' "$f"
	grep -q '^# EOF$' "$f"
	[ "$(ls "$BATS_TEST_TMPDIR")" = ping.prom ]
}

@test "SIGINT stops the run and prints the report, exit 0" {
	"$ECHOLOT" ping -i 0.2 127.0.0.1 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	BG_PID=$!
	sleep 1
	kill -INT "$BG_PID"
	wait "$BG_PID"; rc=$?; BG_PID=
	[ "$rc" -eq 0 ]
	grep -q -- "--- 127.0.0.1 ping statistics ---" "$BATS_TEST_TMPDIR/out"
	grep -Eq "^[0-9]+ packets transmitted, [0-9]+ received, 0% packet loss" "$BATS_TEST_TMPDIR/out"
	grep -q "^Raw packets sent: " "$BATS_TEST_TMPDIR/out"
}

@test "SIGQUIT prints interim figures on stderr and the run goes on" {
	"$ECHOLOT" ping -c 8 -i 0.2 127.0.0.1 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	BG_PID=$!
	sleep 0.7
	kill -QUIT "$BG_PID"
	wait "$BG_PID"; rc=$?; BG_PID=
	[ "$rc" -eq 0 ]
	grep -Eq '^[0-9]+/[0-9]+ packets, 0% loss, min/avg/ewma/max = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "$BATS_TEST_TMPDIR/err"
	grep -q "8 packets transmitted, 8 received" "$BATS_TEST_TMPDIR/out"
}

@test "--tcp-connect: open port connects, closed port is refused (both answers)" {
	port=$((20000 + RANDOM % 20000))
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork /dev/null &
	BG_PID=$!
	wait_listen tcp "$port"
	run "$ECHOLOT" ping --tcp-connect -P "$port" -c 2 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) tcp port $port: connect() probes." ]
	[[ ${lines[1]} =~ ^"connected from 127.0.0.1 port $port: seq=1 time="[0-9.]+" ms (open)"$ ]]
	run "$ECHOLOT" ping --tcp-connect -P 1 -c 1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"refused from 127.0.0.1 port 1: seq=1 time="[0-9.]+" ms (closed)"$ ]]
}

@test "--tcp: SYN-ACK from an open port, RST from a closed one" {
	port=$((20000 + RANDOM % 20000))
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork /dev/null &
	BG_PID=$!
	wait_listen tcp "$port"
	run "$ECHOLOT" ping --tcp -P "$port" -c 2 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"SYN-ACK from 127.0.0.1 port $port: seq=1 ttl=64 time="[0-9.]+" ms (open)"$ ]]
	[[ $output == *"2 packets transmitted, 2 received"* ]]
	run "$ECHOLOT" ping --tcp -P 1 -c 1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"RST from 127.0.0.1 port 1: seq=1 ttl=64 time=" ]]
}

@test "--tcp over IPv6: RST from a closed port of ::1" {
	run "$ECHOLOT" ping --tcp -P 1 -c 2 -i 0.1 ::1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING ::1 (::1) tcp port 1: SYN probes." ]
	[[ ${lines[1]} =~ ^"RST from ::1 port 1: seq=1 ttl=64 time="[0-9.]+" ms (closed)"$ ]]
	[[ $output == *"2 packets transmitted, 2 received"* ]]
}

@test "--udp: port unreachable from a closed port counts as the reply" {
	run "$ECHOLOT" ping --udp -P 9 -c 2 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) udp port 9: datagram probes." ]
	[[ ${lines[1]} =~ ^"port unreachable from 127.0.0.1 port 9: seq=1 ttl=64 time="[0-9.]+" ms (closed)"$ ]]
	[[ $output == *"2 packets transmitted, 2 received"* ]]
}

@test "--udp to a port that answers: the datagram back is the reply" {
	port=$((20000 + RANDOM % 20000))
	socat UDP-RECVFROM:$port,bind=127.0.0.1,fork EXEC:cat &
	BG_PID=$!
	wait_listen udp "$port"
	run "$ECHOLOT" ping --udp -P "$port" -c 1 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"reply from 127.0.0.1 port $port: seq=1 ".*"(open)"$ ]]
}

# Everything up to the rtt line with the rtts, the run time and the
# timestamps' values taken out (they differ between two runs; a delta on
# loopback is 0 or, across a millisecond tick, 1: tests/net checks them).
ipopt_part() {
	iputils_part | sed -E -e 's/time=[0-9.]+ ms/time=T ms/' \
		-e 's/time [0-9]+ms$/time Tms/' -e 's/rtt min.*/rtt/' \
		-e 's/\t[0-9]+ absolute$/\tA absolute/' -e 's/\t[01]$/\tD/'
}

@test "-R: the RR lines and (same route) exactly as iputils prints them" {
	run "$ECHOLOT" ping -R -c 3 -i 0.2 127.0.0.1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) 56(124) bytes of data." ]
	[[ ${lines[1]} =~ ^"64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=" ]]
	[ "${lines[2]}" = $'RR: \t127.0.0.1' ]
	[ "${lines[3]}" = $'\t127.0.0.1' ]
	[[ ${lines[6]} =~ ^"64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time="[0-9.]+$' ms\t(same route)'$ ]]
	[[ ${lines[7]} == *$'\t(same route)' ]]
	ours=$(ipopt_part <<<"$output")
	theirs=$(ping -R -c 3 -i 0.2 127.0.0.1 | ipopt_part)
	diff <(echo "$ours") <(echo "$theirs")
	# names for a named target, as iputils
	run "$ECHOLOT" ping -R -c 1 localhost
	[ "${lines[2]}" = $'RR: \tlocalhost (127.0.0.1)' ]
	diff <(ipopt_part <<<"$output") <(ping -R -c 1 localhost | ipopt_part)
}

@test "-T tsonly, tsandaddr, tsprespec: the TS lines as iputils prints them" {
	for t in tsonly tsandaddr "tsprespec 127.0.0.1"; do
		# shellcheck disable=SC2086
		run "$ECHOLOT" ping -T $t -c 2 -i 0.2 127.0.0.1
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "PING 127.0.0.1 (127.0.0.1) 56(124) bytes of data." ]
		[[ ${lines[2]} =~ ^"TS: "$'\t'(127.0.0.1$'\t')?[0-9]+" absolute"$ ]]
		ours=$(ipopt_part <<<"$output")
		# shellcheck disable=SC2086
		theirs=$(ping -T $t -c 2 -i 0.2 127.0.0.1 | ipopt_part)
		diff <(echo "$ours") <(echo "$theirs")
	done
	# the absolute value is ms since midnight UT (within a second)
	run "$ECHOLOT" ping -T tsonly -c 1 127.0.0.1
	ms=$(sed -n 's/^TS: \t\([0-9]*\) absolute$/\1/p' <<<"$output")
	now=$(( ($(date -u +%s%N) / 1000000) % 86400000 ))
	[ $(( now - ms )) -ge 0 ] && [ $(( now - ms )) -lt 1000 ]
}

@test "--json -R/-T: route and timestamps arrays" {
	run "$ECHOLOT" ping --json -R -c 1 127.0.0.1
	[ "$status" -eq 0 ]
	[ "$(jq -c .route <<<"${lines[0]}")" = '["127.0.0.1","127.0.0.1","127.0.0.1","127.0.0.1"]' ]
	run "$ECHOLOT" ping --json -T tsandaddr -c 1 127.0.0.1
	[ "$(jq -r '.timestamps | length' <<<"${lines[0]}")" = 4 ]
	[ "$(jq -r '.timestamps[0].addr' <<<"${lines[0]}")" = 127.0.0.1 ]
	[ "$(jq -r '.timestamps[0].standard' <<<"${lines[0]}")" = true ]
	[ "$(jq -r '.unrecorded_hops' <<<"${lines[0]}")" = 0 ]
}

@test "-N help lists iputils' queries and subjects, exit 0; -N needs a raw socket" {
	run "$ECHOLOT" ping -N help
	[ "$status" -eq 0 ]
	theirs=$(ping -N help ::1 2>&1 | tail -n +2)
	[ "$(tail -n +2 <<<"$output")" = "$theirs" ]
	[[ ${lines[0]} == "echolot ping -6 -N <nodeinfo opt>" ]]
	run unshare -n sh -c 'ip link set lo up &&
		sysctl -q -w net.ipv4.ping_group_range="0 2147483647" &&
		exec setpriv --reuid nobody --regid nogroup --clear-groups "$0" ping -N name -c 1 ::1' "$ECHOLOT"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "echolot ping: -N needs a raw ICMPv6 socket: run as root or give CAP_NET_RAW"* ]]
}

@test "-b: a broadcast target is refused without it" {
	run "$ECHOLOT" ping -c 1 255.255.255.255
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "echolot ping: 255.255.255.255 is a broadcast address: give -b to ping it" ]
}

@test "-V prints the version" {
	run "$ECHOLOT" ping -V
	[ "$status" -eq 0 ]
	[[ $output =~ ^"echolot "[0-9]+\.[0-9]+ ]]
}

@test "every bad option or value: one line naming it, exit 2" {
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run "$ECHOLOT" ping $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "echolot ping: "*"$want"* ]]
	done <<'EOF'
|no target given
-c 0 127.0.0.1|--count
-c x 127.0.0.1|not a whole number
-s 70000 127.0.0.1|out of range
-t 0 127.0.0.1|out of range
-i abc 127.0.0.1|not a duration
-W -1 127.0.0.1|--timeout
-M sometimes 127.0.0.1|not one of: do, dont, want, probe
-p xyz 127.0.0.1|-p
-p 0123456789abcdef0123456789abcdef0 127.0.0.1|-p
--timestamp-format unix 127.0.0.1|not one of: epoch, iso, rel
--frobnicate 127.0.0.1|unknown option '--frobnicate'
--tcp --udp 127.0.0.1|exclude each other
-P 80 127.0.0.1|-P needs --tcp
--tcp -P 99999 127.0.0.1|out of range
--check warn=10 127.0.0.1|--check
--check warn=500,10%,crit=100,5% 127.0.0.1|--check
--json --check warn=1,1%,crit=2,2% 127.0.0.1|exclude each other
-F 5 -4 127.0.0.1|-F
-c 1 no-such-host.invalid|cannot resolve 'no-such-host.invalid'
-6 -c 1 127.0.0.1|cannot resolve '127.0.0.1'
-R -6 -c 1 ::1|-R: IP options are IPv4 only
-T tsonly -6 -c 1 ::1|-T: IP options are IPv4 only
-R -c 1 ::1|-R: ::1 is an IPv6 address
-R -T tsonly -c 1 127.0.0.1|-R and -T exclude each other
-R --tcp -c 1 127.0.0.1|-R: ICMP echo only
-T tsonly --udp -c 1 127.0.0.1|-T: ICMP echo only
-T everything -c 1 127.0.0.1|'everything' is not one of: tsonly, tsandaddr, tsprespec
-T|'-T' needs a value
-T tsprespec -c 1 127.0.0.1|1 to 4 hop addresses before the target (got 0)
-T tsprespec 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.1|(got 5)
-T tsprespec no-such-host.invalid 127.0.0.1|-T tsprespec: cannot resolve 'no-such-host.invalid'
-N bogus ::1|-N: 'bogus' is not a Node Information query
-N|'-N' needs a value
-N name -N ipv4 ::1|-N: 'ipv4' asks another query type
-N subject-ipv6=::1 ::1|-N: a subject needs a query
-N name -N subject-ipv6=::1 -N subject-name=x ::1|one subject only
-N name -N subject-name=a..b ::1|not a valid DNS name
-N name -N subject-ipv4=no-such-host.invalid ::1|cannot resolve 'no-such-host.invalid'
-N name -4 -c 1 localhost|-N: Node Information queries are IPv6 only
-N name -c 1 127.0.0.1|-N: 127.0.0.1 is an IPv4 address
-N name -R -c 1 ::1|-N and -R exclude each other
-N ipv6 --udp -c 1 ::1|-N: not with --tcp
EOF
}
