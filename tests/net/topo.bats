#!/usr/bin/env bats
# The topology helper itself: chains forward both families hop by hop, and
# every option (NAT, loss, delay, silent hops, ECMP, MSS, DSCP, ICMP rate
# limits) shows on the wire as the system tools see it; nothing is left
# behind. Runs as root.

load ../helpers/topo.sh

setup() {
	BUILDDIR=${ECHOLOT_BUILDDIR:-$BATS_TEST_DIRNAME/../../build}
	export ECHOLOT_BUILDDIR=$BUILDDIR
}

teardown() {
	topo_cleanup
}

# The hop addresses a traceroute prints, one a line ("*" for no answer).
hops() {
	awk 'NR > 1 { print $2 }'
}

@test "3-router chain forwards IPv4: ping crosses 3 hops, each router answers from its client-side address" {
	topo_up 3
	run topo_exec client ping -n -c 2 -i 0.2 -W 2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ $output == *"2 received"* ]]
	# the server answers with ttl 64; three routers take one each
	[[ $output == *"from 198.18.3.2: icmp_seq=1 ttl=61 "* ]]
	run topo_exec client traceroute -n -q 1 -w 2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	diff <(hops <<<"$output") <(printf '%s\n' "$TOPO_R1_4" "$TOPO_R2_4" \
		"$TOPO_R3_4" "$TOPO_SERVER4")
	[ "$(topo_router_addr 2)" = 198.18.1.2 ]
	[ "$TOPO_CLIENT4" = 198.18.0.1 ]
}

@test "3-router chain forwards IPv6: hop limit and traceroute -6 hops" {
	topo_up 3
	run topo_exec client ping -n -c 2 -i 0.2 -W 2 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[[ $output == *"2 received"* ]]
	[[ $output == *"from 2001:2:0:3::2: icmp_seq=1 ttl=61 "* ]]
	run topo_exec client traceroute -6 -n -q 1 -w 2 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	diff <(hops <<<"$output") <(printf '%s\n' 2001:2::2 2001:2:0:1::2 \
		2001:2:0:2::2 2001:2:0:3::2)
	[ "$(topo_router_addr 3 6)" = "$TOPO_R3_6" ]
}

@test "topo_up 0: client and server share one link, no router between them" {
	topo_up 0
	[ "$TOPO_SERVER4" = 198.18.0.2 ] && [ "$TOPO_SERVER6" = 2001:2::2 ]
	run topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER6"
	[[ $output == *"from 2001:2::2: icmp_seq=1 ttl=64 "* ]]
	[ "$(ip netns list | grep -c "^$TOPO_PREFIX-")" -eq 2 ]
}

@test "the server replies to the client directly: no NAT by default" {
	topo_up 2
	topo_capture_start server toclient "$BATS_TEST_TMPDIR/plain.pcap" icmp
	topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER4"
	topo_capture_stop
	run tcpdump -n -r "$BATS_TEST_TMPDIR/plain.pcap" 'icmp[icmptype] == icmp-echo'
	[[ $output == *"IP 198.18.0.1 > 198.18.2.2: ICMP echo request"* ]]
}

@test "--nat 2: the server sees router 2's address, v4 and v6, and replies still arrive" {
	topo_up --nat 2 3
	topo_capture_start server toclient "$BATS_TEST_TMPDIR/nat.pcap" icmp or icmp6
	run topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER4"
	[[ $output == *"1 received"* ]]
	run topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER6"
	[[ $output == *"1 received"* ]]
	topo_capture_stop
	run tcpdump -n -r "$BATS_TEST_TMPDIR/nat.pcap"
	[[ $output == *"IP 198.18.2.1 > 198.18.3.2: ICMP echo request"* ]]
	[[ $output == *"IP6 2001:2:0:2::1 > 2001:2:0:3::2: ICMP6, echo request"* ]]
	[[ $output != *"198.18.0.1"* ]]
}

@test "--loss 2:30 drops about 30% of 300 probes, and only with the option" {
	topo_up --loss 2:30 3
	run topo_exec client ping -n -q -c 300 -i 0.002 -W 1 "$TOPO_SERVER4"
	rcvd=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$output")
	echo "received $rcvd of 300"
	# binomial(300, 0.7): mean 210, sd 7.9; six sd either side
	[ "$rcvd" -ge 162 ] && [ "$rcvd" -le 258 ]
	topo_cleanup
	topo_up 3
	run topo_exec client ping -n -q -c 300 -i 0.002 -W 1 "$TOPO_SERVER4"
	[[ $output == *"300 received"* ]]
}

@test "--loss 1:100:down drops replies only: the server still gets every request" {
	topo_up --loss 1:100:down 1
	topo_capture_start server toclient "$BATS_TEST_TMPDIR/loss.pcap" icmp
	run topo_exec client ping -n -c 3 -i 0.2 -W 1 "$TOPO_SERVER4"
	[[ $output == *" 0 received"* ]]
	topo_capture_stop
	n=$(tcpdump -n -r "$BATS_TEST_TMPDIR/loss.pcap" 2>/dev/null | grep -c 'echo request')
	[ "$n" -eq 3 ]
}

@test "--delay 2:20 holds each packet 20 ms: no echo comes back in under 40 ms" {
	topo_up --delay 2:20 3
	run topo_exec client ping -n -c 5 -i 0.05 -W 2 "$TOPO_SERVER4"
	[[ $output == *"5 received"* ]]
	min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$output")
	echo "min rtt $min ms"
	awk -v m="$min" 'BEGIN { exit !(m >= 40.0) }'
	run topo_exec client ping -n -c 3 -i 0.05 -W 2 "$TOPO_SERVER6"
	[[ $output == *"3 received"* ]]
	min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$output")
	awk -v m="$min" 'BEGIN { exit !(m >= 40.0) }'
}

@test "nfq_delay: a full queue drops, SIGTERM releases the rest and exits 0" {
	topo_up 1
	topo_bg r1 "$BUILDDIR/tests/helpers/nfq_delay" --queue 7 --delay 200 --max 4 \
		--ready "$BATS_TEST_TMPDIR/ready"
	pid=$TOPO_LAST_PID log=$TOPO_LAST_LOG
	for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.05; done
	topo_exec r1 iptables -A FORWARD -i toclient -j NFQUEUE --queue-num 7
	# 16 requests leave in one burst and 4 fit in the queue (iputils adds
	# one more a second later, which finds the queue empty)
	run topo_exec client ping -n -c 16 -l 16 -i 1 -w 2 "$TOPO_SERVER4"
	rcvd=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$output")
	echo "received $rcvd"
	[ "$rcvd" -ge 4 ] && [ "$rcvd" -le 6 ]
	# a packet held when SIGTERM comes is accepted, not lost
	topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER4" >"$BATS_TEST_TMPDIR/one" &
	ping_pid=$!
	sleep 0.1
	kill -TERM "$pid"
	wait "$ping_pid"
	grep -q '1 received' "$BATS_TEST_TMPDIR/one"
	for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$pid" 2>/dev/null
	wait "$pid" || { echo "nfq_delay exit status $?"; false; }
	grep -Eq '^nfq_delay: queue 7: held [4-9], dropped [0-9]+$' "$log"
}

@test "--mtu 2:1300: router 2 answers bigger DF packets with the MTU, v4 and v6" {
	topo_up --mtu 2:1300 3
	run topo_exec client ping -n -c 1 -W 2 -M do -s 1400 "$TOPO_SERVER4"
	[[ $output == *"From $TOPO_R2_4 icmp_seq=1 Frag needed and DF set (mtu = 1300)"* ]]
	run topo_exec client ping -n -c 1 -W 2 -M do -s 1400 "$TOPO_SERVER6"
	[[ $output == *"From $TOPO_R2_6 icmp_seq=1 Packet too big: mtu=1300"* ]]
	run topo_exec client ping -n -c 1 -W 2 -M do -s 1272 "$TOPO_SERVER4"
	[[ $output == *"1 received"* ]]
}

@test "--silent 2: hop 2 stays '*' while hops 1 and 3 answer" {
	topo_up --silent 2 3
	run topo_exec client traceroute -n -q 1 -w 1 "$TOPO_SERVER4"
	diff <(hops <<<"$output") <(printf '%s\n' "$TOPO_R1_4" '*' "$TOPO_R3_4" \
		"$TOPO_SERVER4")
	run topo_exec client traceroute -6 -n -q 1 -w 1 "$TOPO_SERVER6"
	diff <(hops <<<"$output") <(printf '%s\n' "$TOPO_R1_6" '*' "$TOPO_R3_6" \
		"$TOPO_SERVER6")
}

# Hop 2 of one UDP flow (fixed source port, destination port $2).
ecmp_hop2() {
	local fam=$1 port=$2 dst
	if [ "$fam" = 6 ]; then dst=$TOPO_SERVER6; else dst=$TOPO_SERVER4; fi
	topo_exec client traceroute "-$fam" -n -q 1 -w 1 -U --sport=50000 \
		-f 2 -m 2 -p "$port" "$dst" | hops
}

@test "--ecmp 1: flows spread over r2 and r2b at hop 2, and each flow keeps its path" {
	topo_up --ecmp 1 3
	[ "$TOPO_ECMP_ALT4" = 198.18.200.2 ]
	[ "$TOPO_ECMP_ALT6" = 2001:2:0:c8::2 ]
	for fam in 4 6; do
		seen=""
		for port in $(seq 40000 1000 55000); do
			hop=$(ecmp_hop2 "$fam" "$port")
			[ "$hop" = "$(ecmp_hop2 "$fam" "$port")" ]
			seen="$seen $hop"
		done
		echo "IPv$fam hop 2 seen as:$seen"
		r2=TOPO_R2_$fam alt=TOPO_ECMP_ALT$fam
		[[ "$seen " == *" ${!r2} "* ]]
		[[ "$seen " == *" ${!alt} "* ]]
		[ "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)" -eq 2 ]
	done
}

@test "--dscp 2:46 rewrites the traffic class towards the server, v4 and v6" {
	topo_up --dscp 2:46 3
	topo_capture_start server toclient "$BATS_TEST_TMPDIR/dscp.pcap" icmp or icmp6
	topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER4"
	topo_exec client ping -n -c 1 -W 2 "$TOPO_SERVER6"
	topo_capture_stop
	run tcpdump -n -v -r "$BATS_TEST_TMPDIR/dscp.pcap" 'icmp[icmptype] == icmp-echo'
	[[ $output == *"tos 0xb8"* ]] # DSCP 46 (EF) << 2
	run tcpdump -n -v -r "$BATS_TEST_TMPDIR/dscp.pcap" 'icmp6'
	[[ $output == *"class 0xb8"* ]]
}

@test "--mss 2:1000 clamps the MSS of a SYN crossing router 2" {
	topo_up --mss 2:1000 3
	topo_capture_start server toclient "$BATS_TEST_TMPDIR/mss.pcap" tcp port 8007
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/mss-c.pcap" tcp port 8007
	# nothing listens: the SYN is all we need (the server answers RST)
	topo_exec client socat -u /dev/null "TCP:$TOPO_SERVER4:8007,connect-timeout=2" || true
	topo_capture_stop
	run tcpdump -n -r "$BATS_TEST_TMPDIR/mss-c.pcap" 'tcp[tcpflags] == tcp-syn'
	[[ $output == *"mss 1460"* ]]
	run tcpdump -n -r "$BATS_TEST_TMPDIR/mss.pcap" 'tcp[tcpflags] == tcp-syn'
	[[ $output == *"mss 1000,"* ]]
}

# How many of 40 quick ttl-1 probes (IPv$1) get a time exceeded back.
time_exceeded() {
	local dst=$TOPO_SERVER4
	[ "$1" = 4 ] || dst=$TOPO_SERVER6
	topo_exec client ping -n -c 40 -i 0.002 -t 1 -W 1 "$dst" |
		grep -c 'Time exceeded\|Time to live exceeded'
}

@test "routers send every ICMP error by default; --icmp-ratelimit keeps the kernel's limit" {
	topo_up 2
	[ "$(time_exceeded 4)" -eq 40 ]
	[ "$(time_exceeded 6)" -eq 40 ]
	topo_cleanup
	topo_up --icmp-ratelimit 2
	n4=$(time_exceeded 4) n6=$(time_exceeded 6)
	echo "with the kernel's limits: $n4 and $n6 of 40"
	[ "$n4" -lt 40 ] && [ "$n6" -lt 40 ]
}

@test "bad options fail with a message naming them" {
	run topo_up --loss 9:10 3
	[ "$status" -ne 0 ]
	[[ $output == *"no router '9'"* ]]
	topo_cleanup
	run topo_up --frobnicate 3
	[ "$status" -eq 2 ]
	[[ $output == *"unknown option '--frobnicate'"* ]]
	run topo_up --ecmp 3 3
	[ "$status" -eq 2 ]
	[[ $output == *"1 <= I < N"* ]]
	# nothing was built by the failures; a second topology at once is refused
	# (the prefix is el<pid>x..., and `run` keeps this shell's $$)
	[ "$(ip netns list | grep -c "^el$$x")" -eq 0 ]
	topo_up 1
	run topo_up 1
	[ "$status" -eq 2 ]
	[[ $output == *"topology $TOPO_PREFIX is up"* ]]
}

@test "topo_cleanup leaves no namespace, process or nftables table behind" {
	before=$(nft list tables)
	topo_up --nat 1 --loss 2:10 --delay 2:5 --ecmp 1 3
	prefix=$TOPO_PREFIX dir=$TOPO_DIR
	topo_bg server sleep 60
	sleeper=$TOPO_LAST_PID
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/c.pcap"
	pids=$(cat "$dir/pids")
	[ "$(ip netns list | grep -c "^$prefix-")" -eq 6 ]
	# nfq_delay, sleep and tcpdump are running
	[ "$(wc -w <<<"$pids")" -eq 3 ]
	for p in $pids; do kill -0 "$p"; done
	kill -0 "$sleeper"
	topo_cleanup
	[ "$(ip netns list | grep -c "^$prefix-")" -eq 0 ]
	for p in $pids; do ! kill -0 "$p" 2>/dev/null; done
	[ ! -e "$dir" ]
	[ -z "${TOPO_PREFIX:-}" ]
	[ "$(nft list tables)" = "$before" ]
	# a second cleanup is harmless
	topo_cleanup
}
