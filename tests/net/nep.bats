#!/usr/bin/env bats
# nep-server and nep-client on the wire, in network namespaces: against
# each other, against nping 0.7.93 (Debian's; its echo mode only works with
# --no-crypto, see the crypto test), across routers with and without NAT,
# and the server under hostile clients. Runs as root.

load ../helpers/topo.sh

setup() {
	BUILDDIR=${ECHOLOT_BUILDDIR:-$BATS_TEST_DIRNAME/../../build}
	export ECHOLOT_BUILDDIR=$BUILDDIR
	ECHOLOT=${ECHOLOT:-$BUILDDIR/echolot}
}

teardown() {
	topo_cleanup
}

# Waits until something listens on TCP port $2 (default 9929) in node $1.
wait_listen() {
	local node=$1 port=${2:-9929} i
	for i in $(seq 1 50); do
		topo_exec "$node" ss -ltnH "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "nothing listens on $port in $node" >&2
	return 1
}

# Starts echolot's server in the server namespace; SRV_PID, SRV_LOG.
start_server() {
	topo_bg server "$ECHOLOT" nep-server "$@"
	SRV_PID=$TOPO_LAST_PID
	SRV_LOG=$TOPO_LAST_LOG
	wait_listen server
}

# Waits for the server started by start_server to exit; its status in
# SRV_STATUS (the background wrapper reports it in the log's last line
# when it can; we wait on the pid).
wait_server() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$SRV_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "server still running" >&2
	return 1
}

count() {
	grep -c -- "$1" <<<"$output" || true
}

# ---------------------------------------------------------- nping client

@test "nping --echo-client --no-crypto (UDP) gets its probes echoed by echolot's server across a router" {
	topo_up 1
	start_server --no-crypto --once
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 3 --delay 200ms --no-crypto
	echo "$output"
	[ "$(count '^SENT .* UDP 198.18.0.1:53 > 198.18.1.2:40125')" -eq 3 ]
	# as the server saw them: one hop took one from the TTL
	[ "$(count '^CAPT .* UDP 198.18.0.1:53 > 198.18.1.2:40125 ttl=63 ')" -eq 3 ]
	[[ $output == *"Echoed: 3 (84B)"* ]]
	wait_server
	run cat "$SRV_LOG"
	echo "$output"
	[[ $output == *"NEP handshake with client #0 (198.18.0.1:"*"performed successfully"* ]]
	[[ $output == *"Echoed: 3 (84B)"* ]]
	[[ $output == *"1 client served"* ]]
}

@test "nping --echo-client --no-crypto: TCP SYN and ICMP echo are echoed too" {
	topo_up 1
	start_server --no-crypto
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --tcp -p 80 -c 2 --delay 200ms --no-crypto
	echo "$output"
	[ "$(count '^CAPT .* TCP 198.18.0.1:[0-9]* > 198.18.1.2:80 S ttl=63 ')" -eq 2 ]
	[[ $output == *"Echoed: 2 (80B)"* ]]
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --icmp -c 2 --delay 200ms --no-crypto
	echo "$output"
	[ "$(count '^CAPT .* ICMP \[198.18.0.1 > 198.18.1.2 Echo request (type=8/code=0) id=[0-9]* seq=[12]\] IP \[ttl=63 ')" -eq 2 ]
	[[ $output == *"Echoed: 2 (56B)"* ]]
}

@test "nping client behind NAT: the CAPT lines show the NAT address" {
	topo_up --nat 1 1
	start_server --no-crypto --once
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 2 --delay 200ms --no-crypto
	echo "$output"
	[ "$(count '^SENT .* UDP 198.18.0.1:53 > ')" -eq 2 ]
	[ "$(count '^CAPT .* UDP 198.18.1.1:[0-9]* > 198.18.1.2:40125 ttl=63 ')" -eq 2 ]
	wait_server
	run cat "$SRV_LOG"
	[[ $output == *"Connection received from 198.18.1.1:"* ]]
}

@test "nping 0.7.93 with crypto cannot finish a handshake with echolot's server (its OpenSSL 3 bug), exactly as with its own server" {
	topo_up 0
	start_server --passphrase public --once
	run topo_exec client nping --echo-client public "$TOPO_SERVER4" --udp -c 1 -d1
	echo "$output"
	# nping accepts our HS_SERVER, sends a valid HS_CLIENT and then
	# fails to decrypt our (correct) HS_FINAL: vector f shows the same
	# against nping's own master server.
	[[ $output == *"NEP_HANDSHAKE_FINAL authentication failed"* ]] ||
		[[ $output == *"Handshake failed"* ]]
	wait_server
	run cat "$SRV_LOG"
	echo "$output"
	[[ $output == *"Connection received from 198.18.0.1:"* ]]
	[[ $output != *"handshake with client #0"*"successfully"* ]]
	[[ $output == *"0 clients served"* ]]
	# and the same nping against its own server fails the same way
	topo_bg server nping --echo-server public --once
	wait_listen server
	run topo_exec client nping --echo-client public "$TOPO_SERVER4" --udp -c 1
	[[ $output == *"Handshake failed"* ]]
}

@test "echolot's server zeroes payloads by default and keeps them with --include-payloads" {
	topo_up 0
	start_server --no-crypto
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/side.pcap" tcp port 9929
	topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 1 --no-crypto --data-string NEPTEST-payload-1234
	topo_capture_stop
	run tcpdump -n -A -r "$BATS_TEST_TMPDIR/side.pcap"
	[[ $output != *"NEPTEST-payload"* ]]
	topo_kill "$SRV_PID"
	start_server --no-crypto --include-payloads
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/side2.pcap" tcp port 9929
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 1 --no-crypto --data-string NEPTEST-payload-1234
	[[ $output == *"Echoed: 1 (48B)"* ]]
	topo_capture_stop
	run tcpdump -n -A -r "$BATS_TEST_TMPDIR/side2.pcap"
	[[ $output == *"NEPTEST-payload-1234"* ]]
}

@test "two nping clients at once: each gets only its own probes" {
	topo_up 0
	start_server --no-crypto
	topo_bg client nping --echo-client x "$TOPO_SERVER4" --udp -p 1111 -c 4 --delay 300ms --no-crypto
	a=$TOPO_LAST_PID alog=$TOPO_LAST_LOG
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -p 2222 -c 4 --delay 300ms --no-crypto
	echo "$output"
	[ "$(count '^CAPT .*:2222 ')" -ge 3 ]
	[ "$(count '^CAPT .*:1111 ')" -eq 0 ]
	while kill -0 "$a" 2>/dev/null; do sleep 0.1; done
	run cat "$alog"
	echo "$output"
	[ "$(count '^CAPT .*:1111 ')" -ge 3 ]
	[ "$(count '^CAPT .*:2222 ')" -eq 0 ]
}

@test "nmap -sV names echolot's server nping-echo" {
	topo_up 0
	start_server --passphrase public
	run topo_exec client nmap -n -Pn -sV -p 9929 "$TOPO_SERVER4"
	echo "$output"
	[[ $output == *"9929/tcp open  nping-echo"* ]]
}

# ---------------------------------------------------------- hostile clients

# Runs python3 with the hostile-client helper in node $1.
hostile() {
	local node=$1; shift
	topo_exec "$node" python3 "$BATS_TEST_DIRNAME/../helpers/nep_hostile.py" "$@"
}

@test "hostile clients (garbage, bad length, bad MAC, truncated, slowloris, replayed seq, short spec) are dropped and a good client is still served" {
	topo_up 0
	start_server --passphrase pw --handshake-timeout 2
	run hostile client "$TOPO_SERVER4" crypto
	echo "$output"
	[ "$status" -eq 0 ]
	run cat "$SRV_LOG"
	echo "$output"
	[[ $output == *"message authentication failed"* ]]
	[[ $output == *"bad message length"* ]]
	[[ $output == *"handshake timed out"* ]]
	topo_kill "$SRV_PID"
	start_server --no-crypto
	run hostile client "$TOPO_SERVER4" nocrypto
	echo "$output"
	[ "$status" -eq 0 ]
	run cat "$SRV_LOG"
	[[ $output == *"bad sequence number"* ]]
	[[ $output == *"packet specification rejected"* ]]
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 2 --delay 200ms --no-crypto
	echo "$output"
	[[ $output == *"Echoed: 2 (56B)"* ]]
}

@test "200 idle connections do not keep a good client out" {
	topo_up 0
	start_server --no-crypto --max-clients 100
	topo_bg client python3 "$BATS_TEST_DIRNAME/../helpers/nep_hostile.py" "$TOPO_SERVER4" idle 200 8
	for i in $(seq 1 50); do grep -q holding "$TOPO_LAST_LOG" && break; sleep 0.1; done
	run topo_exec client nping --echo-client x "$TOPO_SERVER4" --udp -c 2 --delay 200ms --no-crypto
	echo "$output"
	[[ $output == *"Echoed: 2 (56B)"* ]]
}

# ---------------------------------------------------------- echolot client

@test "echolot client and server across a router, with crypto: UDP probes echoed, one routed hop, intact verdict" {
	topo_up 1
	start_server --passphrase "open sesame 42" --once
	run topo_exec client "$ECHOLOT" nep-client --passphrase "open sesame 42" "$TOPO_SERVER4" -c 3 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^SENT ([0-9.]*s) UDP 198.18.0.1:53 > 198.18.1.2:40125 ttl=64 ')" -eq 3 ]
	[ "$(count '^CAPT ([0-9.]*s) UDP 198.18.0.1:53 > 198.18.1.2:40125 ttl=63 ')" -eq 3 ]
	[ "$(count '^RCVD ([0-9.]*s) ICMP \[198.18.1.2 > 198.18.0.1 Port unreachable')" -eq 3 ]
	[[ $output == *"Raw packets sent: 3 (84B) | Rcvd: 3 (168B) | Lost: 0 (0.00%)| Echoed: 3 (84B) "* ]]
	[[ $output == *"ttl                  64 -> 63  (1 routed hop)"* ]]
	[[ $output == *"Verdict: probes arrive unchanged"* ]]
	[[ $output != *"NAT detected"* ]]
	wait_server
	run cat "$SRV_LOG"
	[[ $output == *"1 client served"* ]]
}

@test "echolot client behind NAT: CAPT shows the NAT address and the verdict says NAT detected (text and --json)" {
	topo_up --nat 1 2
	start_server --passphrase pw
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER4" --tcp -p 80 -c 2 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^SENT .* TCP 198.18.0.1:[0-9]* > 198.18.2.2:80 S ttl=64 ')" -eq 2 ]
	[ "$(count '^CAPT .* TCP 198.18.1.1:[0-9]* > 198.18.2.2:80 S ttl=62 ')" -eq 2 ]
	[[ $output == *"source address       198.18.0.1 -> 198.18.1.1"* ]]
	[[ $output == *"ttl                  64 -> 62  (2 routed hops)"* ]]
	[[ $output == *"Verdict: NAT detected"* ]]
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER4" -c 2 --delay 200ms --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.verdicts | index("nat") != null' <<<"$output")" = true ]
	[ "$(jq -r '.changes[] | select(.field == "src_addr") | .captured' <<<"$output")" = 198.18.1.1 ]
	[ "$(jq -r '.side_channel_seen' <<<"$output")" = 198.18.1.1 ]
	[ "$(jq -r '.stats.echoed' <<<"$output")" = 2 ]
}

@test "echolot client and server: TCP, ICMP and --no-crypto" {
	topo_up 1
	start_server --no-crypto
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" --tcp -p 443 --ttl 20 --win 2048 -c 2 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^CAPT .* TCP 198.18.0.1:[0-9]* > 198.18.1.2:443 S ttl=19 .* win=2048')" -eq 2 ]
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" --icmp -c 2 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^CAPT .* ICMP \[198.18.0.1 > 198.18.1.2 Echo request (type=8/code=0) id=[0-9]* seq=[12]\] IP \[ttl=63 ')" -eq 2 ]
	[[ $output == *"Echoed: 2 (56B)"* ]]
}

@test "echolot client and server over IPv6 (side channel and TCP probes)" {
	topo_up 1
	start_server --passphrase pw
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER6" --tcp -p 80 -c 3 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^CAPT .* TCP \[\[2001:2::1\]:[0-9]* > \[2001:2:0:1::2\]:80 S seq=[0-9]*\] IP \[hopl=63 ')" -ge 2 ]
	run cat "$SRV_LOG"
	[[ $output == *"Connection received from [2001:2::1]:"* ]]
}

@test "echolot client against nping --echo-server --no-crypto: UDP, TCP and ICMP echoed" {
	topo_up 1
	topo_bg server nping --echo-server x --no-crypto
	wait_listen server
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" -c 2 --delay 200ms
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^CAPT .* UDP 198.18.0.1:53 > 198.18.1.2:40125 ttl=63 ')" -eq 2 ]
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" --tcp -p 80 -c 2 --delay 200ms
	echo "$output"
	[ "$(count '^CAPT .* TCP 198.18.0.1:[0-9]* > 198.18.1.2:80 S ttl=63 ')" -eq 2 ]
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" --icmp -c 2 --delay 200ms
	echo "$output"
	[ "$(count '^CAPT .* ICMP \[198.18.0.1 > 198.18.1.2 Echo request')" -eq 2 ]
	[[ $output == *"Echoed: 2 (56B)"* ]]
}

@test "wrong passphrase: the client says so and exits 1, the server drops it and --once exits 1" {
	topo_up 0
	start_server --passphrase right --once
	run topo_exec client "$ECHOLOT" nep-client --passphrase wrong "$TOPO_SERVER4" -c 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"echolot nep-client: wrong passphrase: the server's handshake does not verify"* ]]
	[ "$(count '^SENT')" -eq 0 ]
	wait_server
	run cat "$SRV_LOG"
	echo "$output"
	[[ $output == *"Client #0 (198.18.0.1:"*") disconnected"* ]]
	[[ $output == *"0 clients served"* ]]
	# --once with a failed session is a failure for scripts too
	topo_bg server sh -c "\"$ECHOLOT\" nep-server --passphrase right --once; echo exit=\$?"
	wait_listen server
	topo_exec client "$ECHOLOT" nep-client --passphrase wrong "$TOPO_SERVER4" -c 1 || true
	for i in $(seq 1 50); do grep -q exit= "$TOPO_LAST_LOG" && break; sleep 0.1; done
	grep -q 'exit=1' "$TOPO_LAST_LOG"
}

@test "client errors: connection refused, a server speaking another version, a silent server (timeout)" {
	topo_up 0
	run topo_exec client "$ECHOLOT" nep-client --passphrase x "$TOPO_SERVER4" -c 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"echolot nep-client: cannot connect to $TOPO_SERVER4 port 9929: connection refused"* ]]
	# a server that sends a version-2 header
	printf '#!/bin/sh\nprintf "\\002\\001\\000\\030garbage-garbage-garbage"\nsleep 2\n' >"$BATS_TEST_TMPDIR/v2.sh"
	chmod +x "$BATS_TEST_TMPDIR/v2.sh"
	topo_bg server socat TCP-LISTEN:9929,reuseaddr,fork EXEC:"$BATS_TEST_TMPDIR/v2.sh"
	wait_listen server
	run topo_exec client "$ECHOLOT" nep-client --passphrase x "$TOPO_SERVER4" -c 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"protocol version mismatch: the server speaks NEP version 2"* ]]
	topo_kill "$TOPO_LAST_PID"
	# a server that accepts and says nothing
	topo_bg server socat TCP-LISTEN:9929,reuseaddr,fork SYSTEM:"sleep 5"
	wait_listen server
	run topo_exec client "$ECHOLOT" nep-client --passphrase x --timeout 1 "$TOPO_SERVER4" -c 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"the NEP handshake with $TOPO_SERVER4 timed out after 1.0s"* ]]
}

@test "a side channel that arrives one byte per read, both ways, still carries every message" {
	topo_up 1
	start_server --passphrase pw
	# socat -b1 relays the side channel one byte per read and write (and
	# with nodelay one byte per segment) between client and server
	topo_bg server socat -b1 TCP-LISTEN:9930,reuseaddr,nodelay TCP:127.0.0.1:9929,nodelay
	wait_listen server 9930
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/split.pcap" tcp port 9930
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw --echo-port 9930 "$TOPO_SERVER4" -c 3 --delay 200ms
	topo_capture_stop
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^CAPT ')" -eq 3 ]
	# the segments really were single bytes (most of them: under load the
	# kernel may still merge a few writes, and tcpdump may drop some)
	segs=$(tcpdump -n -r "$BATS_TEST_TMPDIR/split.pcap" 'tcp src port 9930 and tcp[tcpflags] & tcp-push != 0' 2>/dev/null | grep -c 'length 1$')
	echo "one-byte segments from the relay: $segs"
	[ "$segs" -ge 100 ]
}

@test "10000 probes at 5000/s: every one is echoed" {
	topo_up 1
	start_server --passphrase pw -q
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER4" -c 10000 --rate 5000 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .stats.sent <<<"$output")" = 10000 ]
	[ "$(jq -r .stats.echoed <<<"$output")" = 10000 ]
}

@test "50 echolot clients at once: each gets all of its own echoes and none of the others'" {
	topo_up 1
	start_server --passphrase pw -q
	pids=()
	for i in $(seq 1 50); do
		topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER4" -g $((3000 + i)) -c 3 --delay 300ms \
			>"$BATS_TEST_TMPDIR/c$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 1 50); do
		run cat "$BATS_TEST_TMPDIR/c$i"
		[[ $output == *"Echoed: 3 (84B)"* ]] || { echo "client $i: $output"; false; }
		[ "$(count "^CAPT .* UDP 198.18.0.1:$((3000 + i)) > ")" -eq 3 ]
		[ "$(grep '^CAPT' <<<"$output" | grep -vc "198.18.0.1:$((3000 + i)) ")" -eq 0 ]
	done
}

@test "rewriting on the way: DSCP and MSS clamping show as changes, verdict rewritten; TOS, DF, ID, seq, flags go out as asked" {
	topo_up --dscp 1:46 --mss 1:1200 1
	start_server --passphrase pw --safe-payloads
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/probes.pcap" tcp port 8080
	run topo_exec client "$ECHOLOT" nep-client --passphrase pw "$TOPO_SERVER4" --tcp -p 8080 --mss 1460 \
		--tos 32 --df --id 4242 --seq 1234 --flags SA --win 3000 -c 2 --delay 200ms
	topo_capture_stop
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count '^SENT .* TCP 198.18.0.1:[0-9]* > 198.18.1.2:8080 SA ttl=64 id=4242 iplen=44 .*seq=1234 win=3000')" -eq 2 ]
	[ "$(count '^CAPT .* TCP 198.18.0.1:[0-9]* > 198.18.1.2:8080 SA ttl=63 id=4242 iplen=44 .*seq=1234 win=3000')" -eq 2 ]
	[[ $output == *"tos                  32 -> 184"* ]]
	[[ $output == *"tcp mss              1460 -> 1200"* ]]
	[[ $output == *"Verdict: header fields rewritten in transit"* ]]
	[[ $output != *"NAT detected"* ]]
	# what left the client, as tcpdump sees it
	run tcpdump -n -v -r "$BATS_TEST_TMPDIR/probes.pcap" 'tcp dst port 8080'
	echo "$output"
	[[ $output == *"tos 0x20"*"id 4242"*"flags [DF]"* ]]
	[[ $output == *"Flags [S.]"*"seq 1234, ack 0, win 3000, options [mss 1460]"* ]]
}

@test "the server holds no capability once it runs (and runs as --user)" {
	topo_up 0
	start_server --no-crypto --user nobody
	st=/proc/$SRV_PID/status
	grep -E '^(Uid|CapEff|CapPrm)' "$st"
	[ "$(awk '/^CapEff/ {print $2}' "$st")" = 0000000000000000 ]
	[ "$(awk '/^CapPrm/ {print $2}' "$st")" = 0000000000000000 ]
	[ "$(awk '/^Uid/ {print $2}' "$st")" = "$(id -u nobody)" ]
	# and it still captures and echoes
	run topo_exec client "$ECHOLOT" nep-client --no-crypto "$TOPO_SERVER4" -c 1
	[[ $output == *"Echoed: 1 (28B)"* ]]
}

@test "--idle-timeout drops a READY client that gets no echo" {
	topo_up 0
	start_server --no-crypto --idle-timeout 1
	run topo_exec client python3 "$BATS_TEST_DIRNAME/../helpers/nep_hostile.py" "$TOPO_SERVER4" ready 5
	echo "$output"
	[ "$status" -eq 0 ]
	run cat "$SRV_LOG"
	[[ $output == *"idle timeout"* ]]
}
