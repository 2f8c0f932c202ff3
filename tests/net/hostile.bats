#!/usr/bin/env bats
# Hostile input and faults the existing suites do not cover (see
# docs/RELIABILITY.md for the whole table and the tests it cites): forged
# ICMP errors quoting someone else's probe and broken echo replies injected
# by a router (ping, trace), the interface going down mid-ping, an echo
# server flooded with idle connections, a NEP server whose clients die
# mid-handshake, a NEP client facing a server that sends garbage or a cut
# handshake. Loopback and topo.sh namespaces only; every load is bounded in
# count and time. Runs as root.

load ../helpers/topo.sh

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$(dirname "$ECHOLOT")}
	export ECHOLOT_BUILDDIR=$BUILDDIR
	INJECT=$BATS_TEST_DIRNAME/../helpers/icmp_inject.py
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	topo_cleanup
}

# Runs CMD in NODE's namespace with a 30 s bound (no hang).
in_ns() {
	timeout 30 ip netns exec "$(topo_ns "$1")" "${@:2}"
}

# Waits (at most 10 s) for the injector PID to finish and checks its log
# says it sent N packets: the forgeries really went out.
injected() {
	local pid=$1 log=$2 n=$3
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	grep -q "^sent $n\$" "$log"
}

# The server answers no echo request: every probe stays unanswered, so a
# forged error has an outstanding probe to be mistaken for.
drop_replies() {
	topo_exec server nft add table ip hostile
	topo_exec server nft add chain ip hostile out '{ type filter hook output priority 0; }'
	topo_exec server nft add rule ip hostile out icmp type echo-reply drop
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Waits until NODE (or the host, node "-") listens on TCP port P.
wait_listen() {
	local node=$1 port=$2
	for _ in $(seq 100); do
		if [ "$node" = - ]; then
			ss -Hltn "sport = :$port" | grep -q . && return 0
		else
			topo_exec "$node" ss -Hltn "sport = :$port" | grep -q . && return 0
		fi
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------------ ping

@test "ping: 40 forged time-exceeded errors quoting another ping's probes are not ours" {
	topo_up 1
	drop_replies
	topo_bg r1 python3 "$INJECT" forged-echo "$TOPO_CLIENT4" "$(topo_router_addr 1 4)" \
		"$TOPO_CLIENT4" "$TOPO_SERVER4" 4661 40 0.04
	run in_ns client "$ECHOLOT" ping -n -e 4660 -c 10 -i 0.2 -W 1 "$TOPO_SERVER4"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"10 packets transmitted, 0 received, 100% packet loss"* ]]
	[[ $output != *"exceeded"* ]]
	[[ $output != *"errors"* ]]
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 40
	# the control: the same forgeries quoting our identifier are ours
	topo_bg r1 python3 "$INJECT" forged-echo "$TOPO_CLIENT4" "$(topo_router_addr 1 4)" \
		"$TOPO_CLIENT4" "$TOPO_SERVER4" 4660 40 0.04
	run in_ns client "$ECHOLOT" ping -n -e 4660 -c 10 -i 0.2 -W 1 "$TOPO_SERVER4"
	echo "$output"
	[[ $output == *"From $(topo_router_addr 1 4) icmp_seq=1 Time to live exceeded"* ]]
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 40
}

# The quoted source is not checked, on purpose: behind a NAT that leaves
# quotations alone it is the NAT's address (trace.bats has that case), and
# iputils does not check it either. What is checked: id, seq, destination.
@test "ping: forged errors quoting our identifier but another destination are not ours" {
	topo_up 1
	drop_replies
	topo_bg r1 python3 "$INJECT" forged-echo "$TOPO_CLIENT4" "$(topo_router_addr 1 4)" \
		"$TOPO_CLIENT4" 198.18.1.99 4660 40 0.04
	run in_ns client "$ECHOLOT" ping -n -e 4660 -c 10 -i 0.2 -W 1 "$TOPO_SERVER4"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"10 packets transmitted, 0 received, 100% packet loss"* ]]
	[[ $output != *"exceeded"* ]]
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 40
}

@test "ping: 40 truncated, short, bad-checksum and bad-header echo replies are not counted and do not crash it" {
	topo_up 1
	# only the broken replies could count
	drop_replies
	topo_bg r1 python3 "$INJECT" broken-reply "$TOPO_CLIENT4" "$TOPO_SERVER4" 4660 40 0.04
	run in_ns client "$ECHOLOT" ping -n -e 4660 -c 10 -i 0.2 -W 1 "$TOPO_SERVER4"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"10 packets transmitted, 0 received"* ]]
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 40
}

@test "ping: the interface going down mid-run gives errors or loss and an ordinary end, no hang" {
	topo_up 1
	topo_bg client "$ECHOLOT" ping -n -c 20 -i 0.2 -W 1 "$TOPO_SERVER4"
	local pid=$TOPO_LAST_PID log=$TOPO_LAST_LOG
	sleep 1
	topo_exec client ip link set toserver down
	local t0=$SECONDS
	while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt 15 ]; do sleep 0.2; done
	cat "$log"
	# it ended by itself, with one error line per probe it could not
	# send and the summary counting them
	! kill -0 "$pid" 2>/dev/null
	grep -q 'echolot ping: 198.18.1.2: sendto: Network is unreachable' "$log"
	grep -Eq '^20 packets transmitted, [1-9][0-9]* received, \+[1-9][0-9]* errors, [1-9][0-9]*% packet loss' "$log"
}

# ------------------------------------------------------------------ trace
# The destination answers nothing (its ICMP output is dropped), so hop 3's
# probes stay outstanding for the whole -w and a forgery has something to
# be mistaken for.

server_silent() {
	topo_exec server nft add table ip hostile
	topo_exec server nft add chain ip hostile out '{ type filter hook output priority 0; }'
	topo_exec server nft add rule ip hostile out ip protocol icmp drop
}

@test "trace: forged time-exceeded quoting other UDP probes (other source ports, another host) never shows as a hop" {
	topo_up 2
	server_silent
	topo_bg r1 python3 "$INJECT" forged-udp "$TOPO_CLIENT4" 198.18.77.77 \
		"$TOPO_CLIENT4" "$TOPO_SERVER4" 40000 300 0.01
	local inj=$TOPO_LAST_PID inj_log=$TOPO_LAST_LOG
	topo_bg r2 python3 "$INJECT" forged-udp "$TOPO_CLIENT4" 198.18.77.78 \
		198.18.0.55 "$TOPO_SERVER4" 33000 300 0.01
	run in_ns client "$ECHOLOT" trace -n -q 3 -m 3 -w 1 "$TOPO_SERVER4"
	echo "$output"
	[[ $output != *"198.18.77."* ]]
	[[ $output == *" 1  $(topo_router_addr 1 4) "* ]]
	[[ $output == *" 2  $(topo_router_addr 2 4) "* ]]
	echo "$output" | grep -Eq '^ ?3  \* \* \*$'
	injected "$inj" "$inj_log" 300
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 300
}

@test "trace --icmp: forged errors quoting another ping's echo requests never show as a hop" {
	topo_up 2
	server_silent
	topo_bg r1 python3 "$INJECT" forged-echo "$TOPO_CLIENT4" 198.18.77.77 \
		"$TOPO_CLIENT4" "$TOPO_SERVER4" 4661 300 0.01
	run in_ns client "$ECHOLOT" trace --icmp -n -q 3 -m 3 -w 1 "$TOPO_SERVER4"
	echo "$output"
	[[ $output != *"198.18.77."* ]]
	[[ $output == *" 2  $(topo_router_addr 2 4) "* ]]
	echo "$output" | grep -Eq '^ ?3  \* \* \*$'
	injected "$TOPO_LAST_PID" "$TOPO_LAST_LOG" 300
}
