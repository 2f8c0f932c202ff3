#!/usr/bin/env bats
# echolot ping across namespace chains (tests/helpers/topo.sh): replies and
# their fields, ICMP errors from routers, loss, duplicates, many targets
# with one down, TCP/UDP probes, and the unprivileged datagram-socket path.
# Runs as root; all traffic stays inside the namespaces.

load ../helpers/topo.sh

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$(dirname "$ECHOLOT")}
	export ECHOLOT_BUILDDIR=$BUILDDIR
}

teardown() {
	# a run a failed test left stopped or running
	[ -z "${BG_PID:-}" ] || { kill -CONT "$BG_PID"; kill "$BG_PID"; } 2>/dev/null || true
	ni_stop
	topo_cleanup
}

ping_c() {
	topo_exec client "$ECHOLOT" ping "$@"
}

@test "IPv4 across a router: replies from the server with ttl 63, like iputils" {
	topo_up 1
	run ping_c -n -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING 198.18.1.2 (198.18.1.2) 56(84) bytes of data." ]
	[[ ${lines[1]} =~ ^"64 bytes from 198.18.1.2: icmp_seq=1 ttl=63 time="[0-9.]+" ms"$ ]]
	[[ ${lines[2]} =~ ^"64 bytes from 198.18.1.2: icmp_seq=2 ttl=63 time=" ]]
	[[ $output == *"2 packets transmitted, 2 received, 0% packet loss"* ]]
	theirs=$(topo_exec client ping -n -c 1 "$TOPO_SERVER4" | sed -n 2p)
	[ "${theirs%% time=*}" = "64 bytes from 198.18.1.2: icmp_seq=1 ttl=63" ]
}

@test "IPv6 across a router: hop limit 63" {
	topo_up 1
	run ping_c -n -c 2 -i 0.2 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PING $TOPO_SERVER6($TOPO_SERVER6) 56 data bytes" ]
	[[ ${lines[1]} =~ ^"64 bytes from $TOPO_SERVER6: icmp_seq=1 ttl=63 time=" ]]
}

@test "-t 1: Time to live exceeded from the router, as iputils prints it; exit 1" {
	topo_up 2
	run ping_c -n -c 2 -i 0.2 -t 1 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "From $TOPO_R1_4 icmp_seq=1 Time to live exceeded" ]
	[ "${lines[2]}" = "From $TOPO_R1_4 icmp_seq=2 Time to live exceeded" ]
	[[ $output == *"2 packets transmitted, 0 received, +2 errors, 100% packet loss"* ]]
	theirs=$(topo_exec client ping -n -c 1 -t 1 "$TOPO_SERVER4" | sed -n 2p)
	[ "$theirs" = "From $TOPO_R1_4 icmp_seq=1 Time to live exceeded" ]
	# -t 2 reaches router 2
	run ping_c -n -c 1 -t 2 "$TOPO_SERVER4"
	[ "${lines[1]}" = "From $TOPO_R2_4 icmp_seq=1 Time to live exceeded" ]
}

@test "-t 1 over IPv6: the hop limit error from the router" {
	topo_up 2
	run ping_c -n -c 1 -t 1 "$TOPO_SERVER6"
	[ "$status" -eq 1 ]
	theirs=$(topo_exec client ping -n -c 1 -t 1 "$TOPO_SERVER6" | sed -n 2p)
	[ "${lines[1]}" = "$theirs" ]
	[[ ${lines[1]} == "From $TOPO_R1_6 icmp_seq=1 "* ]]
}

@test "--json errors carry the router, the text and the ICMP type" {
	topo_up 1
	run ping_c -n --json -c 1 -t 1 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "$(jq -r .type <<<"${lines[0]}")" = error ]
	[ "$(jq -r .from <<<"${lines[0]}")" = "$TOPO_R1_4" ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "Time to live exceeded" ]
	[ "$(jq -r .icmp_type <<<"${lines[0]}")" = 11 ]
	[ "$(jq -r .errors <<<"${lines[1]}")" = 1 ]
}

@test "an address with no host: Destination Host Unreachable from the router" {
	topo_up 1
	run ping_c -n -c 1 -W 8 198.18.1.77
	[ "$status" -eq 1 ]
	[[ ${lines[1]} =~ ^"From 198.18."[01]".".+" icmp_seq=1 Destination Host Unreachable"$ ]]
	[[ $output == *"1 packets transmitted, 0 received, +1 errors, 100% packet loss"* ]]
}

@test "--loss 1:30: the reported loss of 300 probes is about 30%, and json agrees" {
	topo_up --loss 1:30 1
	run ping_c -n --json -c 300 -i 0.002 -W 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	sum=$(jq -c 'select(.type == "summary")' <<<"$output")
	rcvd=$(jq .received <<<"$sum")
	echo "received $rcvd of 300"
	# binomial(300, 0.7): mean 210, sd 7.9; six sd either side
	[ "$rcvd" -ge 162 ] && [ "$rcvd" -le 258 ]
	[ "$(jq .sent <<<"$sum")" -eq 300 ]
	[ "$(jq .lost <<<"$sum")" -eq $((300 - rcvd)) ]
	# one reply object per received probe, one timeout per lost one
	[ "$(jq -r 'select(.type == "reply") | .seq' <<<"$output" | wc -l)" -eq "$rcvd" ]
	[ "$(jq -r 'select(.type == "timeout") | .seq' <<<"$output" | wc -l)" -eq $((300 - rcvd)) ]
}

@test "duplicated replies (nftables dup on the router) are flagged (DUP!)" {
	topo_up 1
	topo_exec r1 nft -f - <<EOF
table ip pingdup {
	chain dupreply {
		type filter hook forward priority 0;
		icmp type echo-reply ip daddr $TOPO_CLIENT4 dup to $TOPO_CLIENT4 device toclient
	}
}
EOF
	run ping_c -n -c 2 -i 0.3 "$TOPO_SERVER4"
	topo_exec r1 nft delete table ip pingdup
	[ "$status" -eq 0 ]
	[[ $output =~ "64 bytes from $TOPO_SERVER4: icmp_seq=1 ttl="[0-9]+" time="[0-9.]+" ms (DUP!)" ]]
	[[ $output == *"2 packets transmitted, 2 received, +2 duplicates, 0% packet loss"* ]]
}

@test "the 16-bit sequence wraps onto a probe still waiting: the new probe takes its place" {
	topo_up 1
	# Only the first request with sequence 1 is lost (an 84-byte quota,
	# on the way in: a send refused on the way out would not be waiting);
	# probe 65537 goes out as sequence 1 again while probe 1 waits -W 30.
	topo_exec client nft -f - <<EOF
table ip pingwrap {
	chain in {
		type filter hook input priority 0;
		icmp type echo-request icmp sequence 1 quota until 84 bytes drop
	}
}
EOF
	# -l 2: the lost probe holds one place, the flood goes on in the other
	run topo_exec client timeout 60 "$ECHOLOT" ping -f -l 2 -q -W 30 -c 65540 127.0.0.1
	topo_exec client nft delete table ip pingwrap
	echo "$output"
	[ "$status" -eq 0 ]
	# Done without waiting out probe 1's 30 s: it was replaced.
	[[ $output =~ "65540 packets transmitted, 65539 received, 0.00152579% packet loss, time "([0-9]+)"ms" ]]
	[ "${BASH_REMATCH[1]}" -lt 20000 ]
	# The reply to probe 65537 belongs to it, not to probe 1 sent half a
	# second before: every rtt is a loopback one.
	[[ $output =~ "rtt min/avg/max/mdev = "[0-9.]+/[0-9.]+/([0-9.]+)/ ]]
	[ "$(echo "${BASH_REMATCH[1]} < 20" | bc)" -eq 1 ]
}

@test "many targets with one down: its line shows 100% loss and the exit is 1" {
	topo_up --silent 1 1
	run ping_c -n -c 2 -i 0.2 -W 1 "$TOPO_SERVER4" 198.18.1.77
	[ "$status" -eq 1 ]
	[[ $output == *"$TOPO_SERVER4 : xmt/rcv/%loss = 2/2/0%"* ]]
	[[ $output == *"198.18.1.77 : xmt/rcv/%loss = 2/0/100%"* ]]
	[[ $output == *"--- 198.18.1.77 ping statistics ---"* ]]
}

@test "--check across a lossy path: CRITICAL on loss" {
	topo_up --loss 1:100 1
	run ping_c -n -c 3 -i 0.1 -W 0.5 --check warn=100,20%,crit=500,60% "$TOPO_SERVER4"
	[ "$status" -eq 2 ]
	[[ $output == "PING CRITICAL - $TOPO_SERVER4 "*"lost 100%"*"|rta=U"* || $output == "PING CRITICAL - $TOPO_SERVER4 "*"pl=100%"* ]]
}

@test "--tcp and --tcp-connect to the server: open and closed ports" {
	topo_up 1
	topo_bg server socat TCP6-LISTEN:8080,ipv6only=0,reuseaddr,fork /dev/null
	sleep 0.5
	run ping_c -n --tcp -P 8080 -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"SYN-ACK from $TOPO_SERVER4 port 8080: seq=1 ttl=63 time=".*"(open)"$ ]]
	run ping_c -n --tcp -P 8081 -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"RST from $TOPO_SERVER4 port 8081: seq=1 ttl=63 ".*"(closed)"$ ]]
	run ping_c -n --tcp -P 8080 -c 1 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "SYN-ACK from $TOPO_SERVER6 port 8080: seq=1 ttl=63 "*"(open)" ]]
	run ping_c -n --tcp-connect -P 8080 -c 1 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "connected from $TOPO_SERVER6 port 8080: seq=1 time="*"(open)" ]]
}

@test "--tcp -t 1: the router's Time to live exceeded quoting the SYN" {
	topo_up 2
	run ping_c -n --tcp -P 80 -t 1 -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "From $TOPO_R1_4 icmp_seq=1 Time to live exceeded" ]
}

@test "--udp to a closed port on the server: port unreachable is the answer" {
	topo_up 1
	run ping_c -n --udp -P 40000 -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"port unreachable from $TOPO_SERVER4 port 40000: seq=1 ttl=63 ".*"(closed)"$ ]]
	run ping_c -n --udp -P 40000 -c 1 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "port unreachable from $TOPO_SERVER6 port 40000: seq=1 "* ]]
}

@test "unprivileged: as nobody, with ping_group_range set in the namespace, datagram sockets work" {
	topo_up 1
	topo_exec client sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^"64 bytes from $TOPO_SERVER4: icmp_seq=1 ttl=63 time=" ]]
	[[ $output == *"2 packets transmitted, 2 received"* ]]
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -c 1 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "64 bytes from $TOPO_SERVER6: icmp_seq=1 ttl=63 time="* ]]
	# and without the sysctl: the one-line error
	topo_exec client sysctl -q -w net.ipv4.ping_group_range="1 0"
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"ping_group_range"* ]]
}

@test "unprivileged datagram socket: ICMP errors still show (-t 1)" {
	topo_up 2
	topo_exec client sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -c 1 -t 1 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "From $TOPO_R1_4 icmp_seq=1 Time to live exceeded" ]
}

@test "corrupted replies (the router rewrites a data byte) are reported, not counted" {
	topo_up 1
	topo_exec r1 nft -f - <<EOF2
table ip pingmangle {
	chain c {
		type filter hook forward priority 0;
		icmp type echo-reply @th,64,8 set 0x55
	}
}
EOF2
	run ping_c -n -c 2 -i 0.2 -W 1 "$TOPO_SERVER4"
	topo_exec r1 nft delete table ip pingmangle
	[ "$status" -eq 1 ]
	[[ ${lines[1]} =~ ^"64 bytes from $TOPO_SERVER4: icmp_seq=1 ttl=63 time="[0-9.]+" ms (BAD CHECKSUM!)"$ ]]
	[[ $output == *"2 packets transmitted, 0 received, +2 corrupted, 100% packet loss"* ]]
}

@test "-O reports each unanswered probe as the next leaves; -w ends a run to a silent host with exit 1" {
	topo_up --silent 1 1
	run ping_c -n -O -c 3 -i 0.2 -W 1 198.18.1.77
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "no answer yet for icmp_seq=1" ]
	[ "${lines[2]}" = "no answer yet for icmp_seq=2" ]
	[[ $output == *"3 packets transmitted, 0 received, 100% packet loss"* ]]
	run ping_c -n -q -w 1 -i 0.2 198.18.1.77
	[ "$status" -eq 1 ]
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted, 0 received.*/\1/p' <<<"$output")
	[ "$sent" -ge 4 ] && [ "$sent" -le 6 ]
}

@test "flood on datagram sockets (two threads): every probe counted once, Ctrl-C still reports" {
	topo_up 1
	# root's group inside the range: root gets datagram sockets too
	topo_exec client sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	run ping_c -n -f -q -c 20001 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ $output == *"20001 packets transmitted, 20001 received, 0% packet loss"* ]]
	[[ $output == *"Raw packets sent: 20001 "* ]]
	run ping_c -n -f -c 3000 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[ "$(sed -n 2p <<<"$output" | tr -cd . | wc -c)" -eq 3000 ]
	topo_exec client timeout -s INT 1 "$ECHOLOT" ping -n -f -q "$TOPO_SERVER4" >"$BATS_TEST_TMPDIR/out" || true
	grep -Eq "^[0-9]+ packets transmitted, [0-9]+ received" "$BATS_TEST_TMPDIR/out"
	grep -q "^Raw packets sent: " "$BATS_TEST_TMPDIR/out"
}

# stopped_sigint OUT ARGS...: runs echolot ping ARGS in the client's
# namespace and stops it while its one probe is out (the reply is 300 ms
# away); SIGINT comes while it is stopped, then the reply; then it goes
# on. The run wakes with the signal and the reply ready together, the
# signal first. Sets rc to the run's exit status.
stopped_sigint() {
	local out=$1
	shift
	ip netns exec "$(topo_ns client)" "$ECHOLOT" ping "$@" >"$out" 2>&1 &
	BG_PID=$!
	sleep 0.15
	kill -STOP "$BG_PID"
	kill -INT "$BG_PID"
	sleep 0.6
	kill -CONT "$BG_PID"
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	cat "$out"
}

@test "Ctrl-C after a reply arrived but before it was read: the reply counts (ICMP, and --udp's own socket)" {
	topo_up --delay 1:150 1
	stopped_sigint "$BATS_TEST_TMPDIR/out" -n -c 1 -W 5 "$TOPO_SERVER4"
	[ "$rc" -eq 0 ]
	grep -q "^64 bytes from $TOPO_SERVER4: icmp_seq=1 " "$BATS_TEST_TMPDIR/out"
	grep -q "^1 packets transmitted, 1 received, 0% packet loss" "$BATS_TEST_TMPDIR/out"
	# a closed port: the answer is an ICMP error on the probe's socket
	stopped_sigint "$BATS_TEST_TMPDIR/udp" -n --udp -P 40000 -c 1 -W 5 "$TOPO_SERVER4"
	[ "$rc" -eq 0 ]
	grep -q "^port unreachable from $TOPO_SERVER4 port 40000: seq=1 " "$BATS_TEST_TMPDIR/udp"
	grep -q "^1 packets transmitted, 1 received, 0% packet loss" "$BATS_TEST_TMPDIR/udp"
}

# The lines of a -R/-T reply block: from the first RR:/TS: line to the
# blank line after it (bats' $lines drops blank lines, so use the text).
ipopt_block() {
	sed -n '/^\(RR\|TS\): /,/^$/p' | sed '/^$/q'
}

@test "-R through two routers: the routers' and the server's addresses, as iputils; then (same route)" {
	topo_up 2
	run ping_c -n -R -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = "PING $TOPO_SERVER4 ($TOPO_SERVER4) 56(124) bytes of data." ]
	# every host adds the address it sends from, the server the one it
	# received on, and the client its own on the way in
	want=$(printf 'RR: \t%s\n' 198.18.0.1
		printf '\t%s\n' 198.18.1.1 198.18.2.1 "$TOPO_SERVER4" "$TOPO_SERVER4" \
			"$TOPO_R2_4" "$TOPO_R1_4" 198.18.0.1)
	[ "$(ipopt_block <<<"$output")" = "$want" ]
	[[ ${lines[10]} =~ ^"64 bytes from $TOPO_SERVER4: icmp_seq=2 ttl=62 time="[0-9.]+$' ms\t(same route)'$ ]]
	theirs=$(topo_exec client ping -n -R -c 2 -i 0.2 "$TOPO_SERVER4")
	[ "$(ipopt_block <<<"$theirs")" = "$want" ]
	[[ $theirs == *$'ms\t(same route)'* ]]
}

@test "-R through three routers: nine addresses fill the option, as iputils shows" {
	topo_up 3
	run ping_c -n -R -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	ours=$(ipopt_block <<<"$output")
	echo "$ours"
	[ "$(grep -c . <<<"$ours")" -eq 9 ]
	# the last slot goes to router 1 on the way back: no room for the client
	[ "$(tail -n 1 <<<"$ours")" = $'\t'"$TOPO_R1_4" ]
	theirs=$(topo_exec client ping -n -R -c 1 "$TOPO_SERVER4" | ipopt_block)
	[ "$ours" = "$theirs" ]
}

@test "-R on a datagram socket (as nobody): the route comes from IP_RECVOPTS" {
	topo_up 1
	topo_exec client sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -R -c 2 -i 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	want=$(printf 'RR: \t%s\n' 198.18.0.1
		printf '\t%s\n' 198.18.1.1 "$TOPO_SERVER4" "$TOPO_SERVER4" \
			"$TOPO_R1_4" 198.18.0.1)
	[ "$(ipopt_block <<<"$output")" = "$want" ]
	[[ $output == *$'ms\t(same route)'* ]]
	run topo_exec client setpriv --reuid nobody --regid nogroup --clear-groups \
		"$ECHOLOT" ping -n -T tsandaddr -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[3]} =~ ^$'\t'"$TOPO_R1_4"$'\t'[0-9]+$ ]]
}

# Percent of the wall time a command spent on the CPU (user + system).
cpu_share() {
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >/dev/null 2>&1; } 2>&1 |
		awk '{ printf "%d\n", ($2 + $3) * 100 / $1 }'
}

@test "sends under 10 ms apart: a busy wait while nothing is in flight, as iputils; sleeps at 20 ms and while probes are on a 20 ms path" {
	topo_up --delay 1:10 1
	# the client's own loopback: each reply is back before sendto returns
	busy=$(cpu_share topo_exec client "$ECHOLOT" ping -q -c 100 -i 0.005 127.0.0.1)
	theirs=$(cpu_share topo_exec client ping -q -c 100 -i 0.005 127.0.0.1)
	idle=$(cpu_share topo_exec client "$ECHOLOT" ping -q -c 25 -i 0.02 127.0.0.1)
	# through the router that holds each packet 10 ms: always in flight
	far=$(cpu_share topo_exec client "$ECHOLOT" ping -q -c 60 -i 0.005 "$TOPO_SERVER4")
	echo "busy $busy% iputils $theirs% idle $idle% far $far%"
	[ "$busy" -ge 50 ] && [ "$theirs" -ge 50 ]
	[ "$idle" -le 20 ] && [ "$far" -le 30 ]
}

@test "-T tsandaddr across a router that holds packets 30 ms: its address, the deltas, unrecorded hops, as iputils" {
	topo_up --delay 1:30 1
	run ping_c -n -T tsandaddr -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ ${lines[2]} =~ ^"TS: "$'\t'"198.18.0.1"$'\t'[0-9]+" absolute"$ ]]
	[[ ${lines[3]} =~ ^$'\t'"$TOPO_R1_4"$'\t'[0-9]+$ ]]
	# the server stamps 30 ms after the router (the hold), its reply at once
	[[ ${lines[4]} =~ ^$'\t'"$TOPO_SERVER4"$'\t'([0-9]+)$ ]]
	d=${BASH_REMATCH[1]}
	[ "$d" -ge 29 ] && [ "$d" -le 45 ]
	[[ ${lines[5]} =~ ^$'\t'"$TOPO_SERVER4"$'\t'[01]$ ]]
	[ "${lines[6]}" = "Unrecorded hops: 2" ]
	theirs=$(topo_exec client ping -n -T tsandaddr -c 1 "$TOPO_SERVER4" | ipopt_block)
	shape() { sed -E 's/\t[0-9]+( absolute)?$/\tN\1/'; }
	[ "$(ipopt_block <<<"$output" | shape)" = "$(shape <<<"$theirs")" ]
}

@test "-T tsonly: six timestamps through a router, the two holds in the deltas; tsprespec: only the named hops" {
	topo_up --delay 1:30 1
	run ping_c -n -T tsonly -c 1 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	echo "$output"
	block=$(ipopt_block <<<"$output")
	[ "$(grep -c . <<<"$block")" -eq 6 ]
	# the deltas after the absolute value add up to the rtt's two holds
	sum=$(sed -n '2,$s/^\t\([0-9]*\)$/\1/p' <<<"$block" | paste -sd+ | bc)
	[ "$sum" -ge 58 ] && [ "$sum" -le 90 ]
	run ping_c -n -T tsprespec "$TOPO_R1_4" "$TOPO_SERVER4" "$TOPO_SERVER4" -c 1
	[ "$status" -eq 0 ]
	ours=$(ipopt_block <<<"$output")
	[[ $(sed -n 1p <<<"$ours") =~ ^"TS: "$'\t'"$TOPO_R1_4"$'\t'[0-9]+" absolute"$ ]]
	[[ $(sed -n 2p <<<"$ours") =~ ^$'\t'"$TOPO_SERVER4"$'\t' ]]
	theirs=$(topo_exec client ping -n -T tsprespec "$TOPO_R1_4" "$TOPO_SERVER4" -c 1 "$TOPO_SERVER4" | ipopt_block)
	[ "$(cut -f2 <<<"$ours")" = "$(cut -f2 <<<"$theirs")" ]
}

# ---- -N: Linux never answers Node Information queries, so the server
# runs tests/helpers/ni_responder.py (it logs each query it answers).

# ni_start COUNT [responder options]: the responder for COUNT queries.
ni_start() {
	local count=$1 i
	shift
	: >"$BATS_TEST_TMPDIR/ni.log"
	topo_exec server timeout 20 python3 "$BATS_TEST_DIRNAME/../helpers/ni_responder.py" \
		--addr6 "$TOPO_SERVER6" --addr6 fe80::2 --other6 2001:2:0:99::2 \
		--addr4 "$TOPO_SERVER4" --other4 198.18.99.2 "$@" "$count" 15 \
		>"$BATS_TEST_TMPDIR/ni.log" &
	NI_JOB=$!
	for i in $(seq 200); do
		NI_PID=$(sed -n 's/^ready //p' "$BATS_TEST_TMPDIR/ni.log")
		[ -n "$NI_PID" ] && return 0
		sleep 0.05
	done
	return 1
}

# (waits for the responder's job only: other tests' servers run on)
ni_stop() {
	if [ -n "${NI_PID:-}" ]; then
		kill "$NI_PID" 2>/dev/null || true
		NI_PID=
	fi
	if [ -n "${NI_JOB:-}" ]; then
		wait "$NI_JOB" 2>/dev/null || true
		NI_JOB=
	fi
}

# ni_both "-N ARGS" [responder options]: one query from echolot, one from
# iputils; $ours and $theirs are the reply lines, $q_ours and $q_theirs
# the queries as the responder saw them.
ni_both() {
	local args=$1
	shift
	ni_start 2 "$@"
	# shellcheck disable=SC2086
	ours=$(ping_c -c 1 -W 2 $args "$TOPO_SERVER6" | sed -n 2p)
	# shellcheck disable=SC2086
	theirs=$(topo_exec client ping -c 1 -W 2 $args "$TOPO_SERVER6" | sed -n 2p)
	ni_stop
	q_ours=$(sed -n 2p "$BATS_TEST_TMPDIR/ni.log")
	q_theirs=$(sed -n 3p "$BATS_TEST_TMPDIR/ni.log")
	echo "ours:   $ours | $q_ours"
	echo "theirs: $theirs | $q_theirs"
}

@test "-N name/ipv6/ipv4 and their flags: the queries iputils sends, the reply lines it prints" {
	topo_up 1
	ni_both "-N name"
	[ "$ours" = "41 bytes from $TOPO_SERVER6: server.example.test.; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ]
	# the subject is the target's address (code 0)
	[ "$q_ours" = "query code=0 qtype=2 flags=0x0000 subject=20010002000000010000000000000002" ]
	[ "$q_ours" = "$q_theirs" ]
	ni_both "-N ipv6"
	[ "$ours" = "56 bytes from $TOPO_SERVER6: $TOPO_SERVER6, fe80::2; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ] && [ "$q_ours" = "$q_theirs" ]
	ni_both "-N ipv6-global -N ipv6-sitelocal"
	[[ $q_ours == "query code=0 qtype=3 flags=0x0030 "* ]]
	[ "$ours" = "36 bytes from $TOPO_SERVER6: $TOPO_SERVER6; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ] && [ "$q_ours" = "$q_theirs" ]
	for q in ipv6-all ipv6-linklocal ipv6-compatible ipv4 ipv4-all; do
		ni_both "-N $q"
		[ "$ours" = "$theirs" ] && [ "$q_ours" = "$q_theirs" ]
	done
	[ "$ours" = "32 bytes from $TOPO_SERVER6: $TOPO_SERVER4, 198.18.99.2; seq=1; ttl=63" ]
}

@test "-N subjects: addresses and names encoded as iputils sends them (subject-fqdn as RFC 4620 says)" {
	topo_up 1
	for subj in subject-ipv6=2001:2::1 subject-ipv4=198.18.0.1 subject-name=foo \
		subject-name=foo.bar subject-name=foo.; do
		ni_both "-N name -N $subj"
		[ "$q_ours" = "$q_theirs" ]
		[ "$ours" = "$theirs" ]
	done
	# subject-fqdn: one zero label ends a fully-qualified name (RFC 4620
	# section 3); iputils 20221126 sends two, the single-component form
	ni_both "-N name -N subject-fqdn=foo"
	[ "$q_ours" = "query code=1 qtype=2 flags=0x0000 subject=03666f6f00" ]
	[ "$q_theirs" = "query code=1 qtype=2 flags=0x0000 subject=03666f6f0000" ]
	ni_both "-N ipv4 -N subject-name=single"
	[ "$q_ours" = "query code=1 qtype=4 flags=0x0000 subject=0673696e676c650000" ]
	[ "$q_ours" = "$q_theirs" ]
}

@test "-N replies: several names, refused, unknown qtype, cut data, as iputils prints them" {
	topo_up 1
	ni_both "-N name" --name a.b --name single --name c.d
	[ "$ours" = "39 bytes from $TOPO_SERVER6: a.b., single, c.d.; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ]
	ni_both "-N name" --refuse
	[ "$ours" = "16 bytes from $TOPO_SERVER6: refused; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ]
	ni_both "-N ipv6" --code 2
	[ "$ours" = "16 bytes from $TOPO_SERVER6: unknown; seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ]
	for cut in 0 4 5; do
		ni_both "-N name" --truncate $cut
		[ "$ours" = "$theirs" ]
	done
	ni_both "-N ipv6" --truncate 30
	[ "$ours" = "46 bytes from $TOPO_SERVER6: $TOPO_SERVER6, parse error (truncated); seq=1; ttl=63" ]
	[ "$ours" = "$theirs" ]
}

@test "-N: a reply with a foreign nonce is not ours; counts, rtts and --json for the ones that are" {
	topo_up 1
	ni_start 1 --bad-nonce
	run ping_c -c 1 -W 1 -N name "$TOPO_SERVER6"
	ni_stop
	[ "$status" -eq 1 ]
	[[ $output == *"1 packets transmitted, 0 received, 100% packet loss"* ]]
	ni_start 3
	run ping_c -c 3 -i 0.2 -N ipv4 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = "24 bytes from $TOPO_SERVER6: $TOPO_SERVER4; seq=3; ttl=63" ]
	[[ $output == *"3 packets transmitted, 3 received, 0% packet loss"* ]]
	[[ $output == *"rtt min/avg/max/mdev = "* ]]
	ni_stop
	ni_start 1
	run ping_c -c 1 --json -N name "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[ "$(jq -r .nodeinfo <<<"${lines[0]}")" = "server.example.test." ]
	[ "$(jq -r .bytes <<<"${lines[0]}")" = 41 ]
}
