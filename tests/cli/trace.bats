#!/usr/bin/env bats
# echolot trace from the command line: option errors (one line, exit 2),
# help, and traces to loopback with every method and both families.
# Loopback answers at hop 1, so the whole output is known.

bats_require_minimum_version 1.5.0

load ../helpers/wait

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
}

# Runs echolot trace with bad arguments: one line on stderr naming the
# problem, nothing on stdout, exit 2.
bad() {
	local want=$1; shift
	run --separate-stderr "$ECHOLOT" trace "$@"
	echo "stdout: $output"
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "echolot trace: "*"$want"* ]]
}

@test "--help lists every option and exits 0" {
	run "$ECHOLOT" trace --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: echolot trace [options] TARGET [PACKETLEN]" ]]
	for o in --udp --icmp --tcp --port --queries --first --max-hops --wait \
		--sim-queries --numeric --source --interface --vary-flow --tos \
		--report --count --interval --json --diff; do
		grep -q -- "$o" <<<"$output"
	done
}

@test "bad input: one line naming the problem, exit 2" {
	bad "no target given"
	bad "one target and one packet length only ('127.0.0.3' is one too many)" 127.0.0.1 100 127.0.0.3
	bad "invalid packet length '127.0.0.2' (want 1 to 2048 bytes)" 127.0.0.1 127.0.0.2
	bad "invalid packet length '0' (want 1 to 2048 bytes)" 127.0.0.1 0
	bad "invalid packet length '2049' (want 1 to 2048 bytes)" 127.0.0.1 2049
	bad "invalid packet length '60x'" 127.0.0.1 60x
	bad "invalid packet length ''" 127.0.0.1 ""
	bad "invalid packet length '-60'" 127.0.0.1 -- -60
	bad "invalid packet length '99999999999999999999'" 127.0.0.1 99999999999999999999
	bad "a packet length has no meaning with --tcp" --tcp 127.0.0.1 100
	bad "--max-hops: '0' is out of range 1..255" -m 0 127.0.0.1
	bad "--queries" -q 11 127.0.0.1
	bad "--sim-queries" -N 0 127.0.0.1
	bad "first ttl 10 is above max ttl 5" -f 10 -m 5 127.0.0.1
	bad "invalid wait 'abc'" -w abc 127.0.0.1
	bad "invalid wait '5,x'" -w 5,x 127.0.0.1
	bad "-c needs --report or --json" -c 3 127.0.0.1
	bad "--report and --json exclude each other" --report --json 127.0.0.1
	bad "-p has no meaning with --icmp" --icmp -p 80 127.0.0.1
	bad "unknown option '--bogus'" --bogus 127.0.0.1
	bad "cannot resolve 'nonexistent.invalid'" nonexistent.invalid
	bad "cannot use interface 'nosuchif0'" -I nosuchif0 127.0.0.1
	bad "cannot use source address" -s 198.18.250.250 127.0.0.1
}

# The header and one hop line, as traceroute prints them.
check_loopback() {
	local addr=$1 len=$2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "traceroute to $addr ($addr), 30 hops max, $len byte packets" ]
	[[ ${lines[1]} =~ ^\ 1\ \ $addr(\ \ [0-9]+\.[0-9]{3}\ ms){3}$ ]]
}

@test "UDP to 127.0.0.1: reached at hop 1, exit 0" {
	run "$ECHOLOT" trace -n 127.0.0.1
	check_loopback 127.0.0.1 60
}

@test "PACKETLEN as traceroute's: the whole datagram, raised to the headers when smaller" {
	run "$ECHOLOT" trace -n 127.0.0.1 100
	check_loopback 127.0.0.1 100
	run "$ECHOLOT" trace -n --icmp 127.0.0.1 2048
	check_loopback 127.0.0.1 2048
	run "$ECHOLOT" trace -n 127.0.0.1 1
	check_loopback 127.0.0.1 30
	run "$ECHOLOT" trace -n ::1 1
	check_loopback ::1 50
	run "$ECHOLOT" trace -n ::1 1000
	check_loopback ::1 1000
	# the length the JSON reports is that of the datagram built
	run "$ECHOLOT" trace -n --json 127.0.0.1 333
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys; assert json.load(sys.stdin)["packet_len"] == 333' <<<"$output"
}

@test "ICMP and TCP to 127.0.0.1, TCP to an open and a closed port" {
	run "$ECHOLOT" trace -n --icmp 127.0.0.1
	check_loopback 127.0.0.1 60
	run "$ECHOLOT" trace -n --tcp -p 1 127.0.0.1
	check_loopback 127.0.0.1 44
	socat TCP-LISTEN:47311,bind=127.0.0.1,reuseaddr,fork SYSTEM:true &
	pid=$!
	wait_listen tcp "47311"
	run "$ECHOLOT" trace -n --tcp -p 47311 --json 127.0.0.1
	kill "$pid"
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert [p["reply"] for p in d["hops"][0]["probes"]] == ["syn-ack"] * 3' <<<"$output"
	run "$ECHOLOT" trace -n --tcp -p 1 --json 127.0.0.1
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert [p["reply"] for p in d["hops"][0]["probes"]] == ["rst"] * 3' <<<"$output"
}

@test "IPv6: ::1 with all three methods" {
	run "$ECHOLOT" trace -n ::1
	check_loopback ::1 80
	run "$ECHOLOT" trace -n --icmp ::1
	check_loopback ::1 80
	run "$ECHOLOT" trace -n --tcp ::1
	check_loopback ::1 64
}

@test "without -n names come in 'name (addr)' form" {
	run "$ECHOLOT" trace 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^\ 1\ \ [^\ ]+\ \(127\.0\.0\.1\)(\ \ [0-9.]+\ ms){3}$ ]]
}

@test "-f 2 -m 2: the trace starts at hop 2" {
	# hop 2 of a one-hop path: probes with ttl 2 still reach 127.0.0.1
	# and are answered there, so this is reached at hop 2.
	run "$ECHOLOT" trace -n -f 2 -m 2 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == " 2  127.0.0.1  "* ]]
}

@test "--json is one valid document that agrees with the text" {
	run "$ECHOLOT" trace -n --json -q 2 127.0.0.1
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["type"] == "trace" and d["version"] == 1
assert d["reached"] is True and d["dst"] == "127.0.0.1"
assert d["method"] == "udp" and d["flow_stable"] is True
h = d["hops"]
assert len(h) == 1 and h[0]["ttl"] == 1
assert [p["addr"] for p in h[0]["probes"]] == ["127.0.0.1"] * 2
assert h[0]["probes"][0]["reply"] == "port unreachable"
assert h[0]["stats"]["sent"] == 2 and h[0]["stats"]["received"] == 2
assert h[0]["changed"] == [] and h[0]["diff"] == [] and h[0]["nat"] is False
' <<<"$output"
}

@test "--report -c 3: mtr-style table, one row per hop" {
	run "$ECHOLOT" trace -n --report -c 3 -i 0.05 127.0.0.1
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Start: "* ]]
	[[ ${lines[1]} =~ ^HOST:\ .*Loss%\ +Snt\ +Last\ +Avg\ +Best\ +Wrst\ +StDev$ ]]
	[[ ${lines[2]} =~ ^\ \ 1\.\|--\ 127\.0\.0\.1\ +0\.0%\ +3(\ +[0-9]+\.[0-9]){5}$ ]]
	[ "${#lines[@]}" -eq 3 ]
}

@test "the echolot-trace link runs trace" {
	dir=$(mktemp -d)
	ln -s "$ECHOLOT" "$dir/echolot-trace"
	run "$dir/echolot-trace" -n 127.0.0.1
	rm -rf "$dir"
	check_loopback 127.0.0.1 60
}
