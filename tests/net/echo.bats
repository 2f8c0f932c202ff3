#!/usr/bin/env bats
# echolot echo across a router (client - r1 - server namespaces): the
# client against our server on port 7 over IPv4 and IPv6, and --check
# against xinetd's internal echo and chargen, against our server, against
# nothing (closed) and behind an nftables drop (filtered). Runs as root.

load ../helpers/topo.sh

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$BATS_TEST_DIRNAME/../../build}
	export ECHOLOT_BUILDDIR=$BUILDDIR
	topo_up 1
}

teardown() {
	topo_cleanup
}

# Waits until NODE has something listening on TCP port P.
wait_listen() {
	local node=$1 port=$2
	for _ in $(seq 100); do
		topo_exec "$node" ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

serve_ours() {
	topo_bg server "$ECHOLOT" echo --serve --listen "$TOPO_SERVER4" \
		--listen "[$TOPO_SERVER6]" "$@"
	SRV_PID=$TOPO_LAST_PID
	SRV_LOG=$TOPO_LAST_LOG
	wait_listen server 7
}

# xinetd's internal echo and chargen, TCP and UDP, on the server. Its
# connection-rate guard (cps, default 50/s) would switch a service off for
# 10 s after the 200 datagrams of one replies/s test, and the test runs
# --check twice.
serve_xinetd() {
	local conf=$TOPO_DIR/xinetd.conf svc type proto wait
	: >"$conf"
	for svc in echo chargen; do
		for type in stream dgram; do
			proto=tcp wait=no
			[ "$type" = dgram ] && proto=udp wait=yes
			cat >>"$conf" <<EOF
service $svc
{
	type = INTERNAL
	id = $svc-$type
	socket_type = $type
	protocol = $proto
	user = root
	wait = $wait
	bind = $TOPO_SERVER4
	cps = 100000 1
	disable = no
}
EOF
		done
	done
	topo_bg server xinetd -dontfork -f "$conf" -pidfile "$TOPO_DIR/xinetd.pid"
	wait_listen server 7 && wait_listen server 19
}

@test "client across a router: TCP and UDP, IPv4 and IPv6, to our server on port 7" {
	serve_ours
	run topo_exec client "$ECHOLOT" echo -c 3 -i 0.05 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[ "$(grep -c "^64 bytes from $TOPO_SERVER4:7 (tcp)" <<<"$output")" -eq 3 ]
	run topo_exec client "$ECHOLOT" echo -u -c 3 -i 0.05 -s 1400 "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[ "$(grep -c "^1400 bytes from \[$TOPO_SERVER6\]:7 (udp)" <<<"$output")" -eq 3 ]
	# the server saw the client's real address, a unicast source
	kill -USR1 "$SRV_PID"; sleep 0.2
	grep -q '^udp: received 3 | echoed 3' "$SRV_LOG"
}

@test "--check against xinetd: everything open, it answers service ports, risk high, exit 1" {
	serve_xinetd
	run topo_exec client "$ECHOLOT" echo --check -W 1 "$TOPO_SERVER4"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -Eq '^  tcp/7 +echo +open +connected, 15 bytes back: "echolot-check' <<<"$output"
	grep -Eq '^  udp/7 +echo +open +15 bytes back for 15 sent' <<<"$output"
	grep -Eq '^  tcp/19 +chargen +open +connected, [0-9]+ bytes back: "!\\"#' <<<"$output"
	grep -Eq '^  udp/19 +chargen +open +[0-9]+ bytes back for 1 sent' <<<"$output"
	grep -Eq '^    from source port 19 +answered, 32 bytes' <<<"$output"
	grep -Eq '^    from source port 53 +answered' <<<"$output"
	grep -Eq '^    from source port 123 +answered' <<<"$output"
	grep -q '^  risk: high' <<<"$output"
	grep -q 'BCP 38' <<<"$output"
	run topo_exec client "$ECHOLOT" echo --check --json -W 1 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reflector.from_port_53.answered' <<<"$output")" = true ]
	jq -e '.chargen_ratio > 1' <<<"$output"
	[ "$(jq -r .exposed <<<"$output")" = true ]
}

@test "--check against our server on port 7: open, but no reflector answers; risk medium" {
	serve_ours
	run topo_exec client "$ECHOLOT" echo --check --json -W 0.5 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.ports[1].state' <<<"$output")" = open ]
	[ "$(jq -r '.reflector.from_port_19.answered' <<<"$output")" = false ]
	[ "$(jq -r '.reflector.from_port_123.answered' <<<"$output")" = false ]
	[ "$(jq -r '.reflector.zero_length.answered' <<<"$output")" = false ]
	[ "$(jq -r '.ports[3].state' <<<"$output")" = closed ]
	[ "$(jq -r .risk <<<"$output")" = medium ]
	# the rate limit shows: not all of the 200 were answered
	jq -e '.reflector.rate_answered < .reflector.rate_sent' <<<"$output"
}

@test "--check over IPv6: our server refuses datagrams from ports 19, 53, 123 there too" {
	serve_ours
	run topo_exec client "$ECHOLOT" echo --check --json -6 -W 0.5 "$TOPO_SERVER6"
	[ "$status" -eq 1 ]
	[ "$(jq -r .address <<<"$output")" = "$TOPO_SERVER6" ]
	[ "$(jq -r '.ports[1].state' <<<"$output")" = open ]
	[ "$(jq -r '.reflector.from_port_53.answered' <<<"$output")" = false ]
	[ "$(jq -r '.reflector.big_datagram.answered' <<<"$output")" = false ]
	[ "$(jq -r '.ports[3].evidence' <<<"$output")" = "ICMPv6 port unreachable" ]
	kill -USR1 "$SRV_PID"; sleep 0.2
	# three ports, two tries each
	grep -q 'service-port 6 ' "$SRV_LOG"
}

@test "a datagram sent to a broadcast address gets no reply (a smurf amplifier would answer)" {
	topo_exec server ip addr add 198.18.9.2/24 brd + dev toclient
	serve_ours --listen 0.0.0.0:7007
	peer="python3 $BATS_TEST_DIRNAME/../cli/echo_peer.py"
	run topo_exec server $peer udp --host 198.18.9.255 --port 7007 --broadcast
	[ "$output" = "replies 0 intact 0" ]
	# the same server answers its unicast address
	run topo_exec server $peer udp --host 198.18.9.2 --port 7007
	[ "$output" = "replies 1 intact 1" ]
	kill -USR1 "$SRV_PID"; sleep 0.3
	grep -q 'bad-destination 1 ' "$SRV_LOG"
}

@test "--check with nothing listening: closed, with the reset and the ICMP error; exit 0" {
	run topo_exec client "$ECHOLOT" echo --check -W 0.5 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	grep -Eq '^  tcp/7 +echo +closed +TCP reset' <<<"$output"
	grep -Eq '^  udp/7 +echo +closed +ICMP port unreachable' <<<"$output"
	grep -Eq '^  udp/19 +chargen +closed +ICMP port unreachable' <<<"$output"
	grep -q '^  risk: none' <<<"$output"
}

@test "--check behind an nftables drop: filtered and open|filtered; exit 0" {
	serve_ours
	topo_exec server nft -f - <<'EOF'
table inet echodrop {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport { 7, 19 } drop
		udp dport { 7, 19 } drop
	}
}
EOF
	run topo_exec client "$ECHOLOT" echo --check -W 0.3 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	grep -Eq '^  tcp/7 +echo +filtered +no answer to the SYN within 0.3s' <<<"$output"
	grep -Eq '^  udp/7 +echo +open\|filtered +no answer to 2 datagrams' <<<"$output"
	grep -Eq '^  tcp/19 +chargen +filtered' <<<"$output"
	grep -q '^  risk: none' <<<"$output"
}
