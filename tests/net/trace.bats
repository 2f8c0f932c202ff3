#!/usr/bin/env bats
# echolot trace across namespace chains built by tests/helpers/topo.sh:
# every hop in order for each method and family, silent routers and the
# overdue rule (a silent hop costs its rtt plus a margin; late replies),
# ECMP with and without flow stability, DSCP and MSS rewrites seen by
# --diff, a NAT that does not rewrite quotations, unreachable
# destinations, the --report loss figures and the JSON document. Runs as
# root.

bats_require_minimum_version 1.5.0

load ../helpers/topo.sh

setup() {
	BUILDDIR=${ECHOLOT_BUILDDIR:-$BATS_TEST_DIRNAME/../../build}
	export ECHOLOT_BUILDDIR=$BUILDDIR
	ECHOLOT=${ECHOLOT:-$BUILDDIR/echolot}
}

teardown() {
	topo_cleanup
}

# The server keeps the kernel's ICMP rate limit unless a test lifts it;
# tests that count replies lift it so they measure only what they inject.
server_no_ratelimit() {
	topo_exec server sysctl -qw net.ipv4.icmp_ratelimit=0
	topo_exec server sysctl -qw net.ipv6.icmp.ratelimit=0
}

trace() {
	run topo_exec client "$ECHOLOT" trace "$@"
	echo "$output"
}

# The address column of each hop line ("*" for a silent hop).
hop_addrs() {
	awk '/^ ?[0-9]+  / { print $2 }' <<<"$output"
}

# Expected hop list of an N-router chain: each router's client-side
# address, then the server.
chain_addrs() {
	local n=$1 fam=${2:-4} i
	for ((i = 1; i <= n; i++)); do echo "$(topo_router_addr "$i" "$fam")"; done
	if [ "$fam" = 6 ]; then echo "$TOPO_SERVER6"; else echo "$TOPO_SERVER4"; fi
}

# Every hop line: its number is its position, its address the expected
# one, and all of its probes were answered from that address.
check_chain() {
	local n=$1 fam=$2
	[ "$status" -eq 0 ]
	diff <(hop_addrs) <(chain_addrs "$n" "$fam")
	local i=1 line
	while IFS= read -r line; do
		[[ $line =~ ^\ ?$i\ \ [0-9a-f:.]+(\ \ [0-9]+\.[0-9]{3}\ ms){3}$ ]]
		i=$((i + 1))
	done < <(sed 1d <<<"$output")
	[ $i -eq $((n + 2)) ]
}

@test "3-router chain, IPv4 and IPv6, UDP/ICMP/TCP: every hop in order, destination reached" {
	topo_up 3
	for m in --udp --icmp --tcp; do
		trace -n $m "$TOPO_SERVER4"
		check_chain 3 4
		trace -n $m "$TOPO_SERVER6"
		check_chain 3 6
	done
}

@test "10-router chain, IPv4 and IPv6, UDP/ICMP/TCP: every hop in order" {
	topo_up 10
	server_no_ratelimit
	for m in --udp --icmp --tcp; do
		trace -n $m "$TOPO_SERVER4"
		check_chain 10 4
		trace -n $m "$TOPO_SERVER6"
		check_chain 10 6
	done
}

@test "header line as traceroute prints it; -f/-m narrow the hops shown" {
	topo_up 3
	trace -n "$TOPO_SERVER4"
	[ "${lines[0]}" = "traceroute to $TOPO_SERVER4 ($TOPO_SERVER4), 30 hops max, 60 byte packets" ]
	trace -n -f 2 -m 3 "$TOPO_SERVER4"
	[ "$status" -eq 1 ]   # hop 3 is a router: the destination was not reached
	[ "${lines[0]}" = "traceroute to $TOPO_SERVER4 ($TOPO_SERVER4), 3 hops max, 60 byte packets" ]
	diff <(hop_addrs) <(echo "$TOPO_R2_4"; echo "$TOPO_R3_4")
	[[ ${lines[1]} == " 2  "* ]]
}

@test "unreachable destinations exit 1 with traceroute's !N / !H" {
	topo_up 3
	# no route at router 1
	trace -n 198.18.99.1
	[ "$status" -eq 1 ]
	[ "${lines[1]}" != "" ]
	[[ ${lines[1]} =~ ^\ 1\ \ $TOPO_R1_4(\ \ [0-9.]+\ ms\ !N){3}$ ]]
	[ "${#lines[@]}" -eq 2 ]
	# on the server's link but nobody there: router 3 gives up on ARP
	trace -n -q 1 198.18.3.7
	[ "$status" -eq 1 ]
	[[ ${lines[4]} =~ ^\ 4\ \ $TOPO_R3_4\ \ [0-9.]+\ ms\ !H$ ]]
}

@test "--silent router is a '* * *' hop and the trace goes on to the destination" {
	topo_up --silent 2 4
	trace -n "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = " 2  * * *" ]
	diff <(hop_addrs) <(echo "$TOPO_R1_4"; echo '*'; echo "$TOPO_R3_4"; echo "$TOPO_R4_4"; echo "$TOPO_SERVER4")
	trace -n --tcp "$TOPO_SERVER6"
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = " 2  * * *" ]
	[[ ${lines[5]} == " 5  $TOPO_SERVER6  "* ]]
}

@test "a silent router behind a slow link costs its rtt plus a margin, not 3x the next hop's rtt" {
	# router 1 holds forwarded packets 100 ms each way, so hops 2-5
	# answer after ~200 ms; silent hop 3's probes are given up once the
	# server answered and they are older than the slowest rtt + 20 ms
	# (the -w rule alone waits 3x hop 4's rtt, 600 ms)
	topo_up --delay 1:100 --silent 3 4
	server_no_ratelimit
	trace -n --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [str(h["probes"][0]["addr"]) for h in d["hops"]] == sys.argv[1].split(), d["hops"]
assert d["hops"][2]["stats"]["received"] == 0
slowest = max(p["rtt_ms"] for h in d["hops"] for p in h["probes"] if p["addr"])
assert slowest > 150, slowest
# 2x the slowest rtt is still well below the 3x of the -w rule
assert d["elapsed_ms"] < 2 * slowest, (d["elapsed_ms"], slowest)
' "$TOPO_R1_4 $TOPO_R2_4 None $TOPO_R4_4 $TOPO_SERVER4" <<<"$output"
}

@test "a router that answers after the probe was given up still shows when the trace is not over yet" {
	# router 2 holds its own time exceeded messages 80 ms (NFQUEUE on
	# OUTPUT); hop 3 and the server answer at once, so hop 2's probes
	# are given up after ~20 ms. The server keeps its rate limit and
	# gets 8 probes: its hop takes resends of 250 ms and more, and the
	# JSON document, printed at the end, takes hop 2's late replies.
	topo_up 3
	topo_bg r2 "$(topo__find_nfq)" --queue 42 --delay 80 --ready "$TOPO_DIR/nfq.late.ready"
	for _ in $(seq 100); do [ -e "$TOPO_DIR/nfq.late.ready" ] && break; sleep 0.05; done
	[ -e "$TOPO_DIR/nfq.late.ready" ]
	topo_exec r2 iptables -w 5 -A OUTPUT -p icmp --icmp-type time-exceeded -j NFQUEUE --queue-num 42
	trace -n -q 8 --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
hop2 = d["hops"][1]["probes"]
assert [p["addr"] for p in hop2] == [sys.argv[1]] * 8, hop2
assert all(p["rtt_ms"] > 70 for p in hop2), hop2
assert max(p["tries"] for p in d["hops"][3]["probes"]) > 1
' "$TOPO_R2_4" <<<"$output"
}

@test "ECMP: one path per trace by default, both paths with --vary-flow" {
	topo_up --ecmp 1 3
	server_no_ratelimit
	# Flow-stable: all 10 probes of hop 2 take one branch, in every run.
	for i in 1 2 3 4 5 6; do
		trace -n -q 10 "$TOPO_SERVER4"
		[ "$status" -eq 0 ]
		hop2=$(sed -n 3p <<<"$output")
		n=$(grep -oE '198\.18\.[0-9]+\.[0-9]+' <<<"$hop2" | sort -u | wc -l)
		[ "$n" -eq 1 ]
	done
	# Classic: 10 ports per hop spread over both branches (all on one
	# branch has probability 2^-9 per run; three runs must all miss).
	seen=0
	for i in 1 2 3; do
		trace -n -q 10 --vary-flow "$TOPO_SERVER4"
		[ "$status" -eq 0 ]
		hop2=$(sed -n 3p <<<"$output")
		n=$(grep -oE '198\.18\.[0-9]+\.[0-9]+' <<<"$hop2" | sort -u | wc -l)
		[ "$n" -eq 2 ] && seen=1
	done
	[ "$seen" -eq 1 ]
	[[ $hop2 == *"$TOPO_ECMP_ALT4"* ]]
}

@test "ECMP with IPv6 and TCP: flow-stable keeps one branch" {
	topo_up --ecmp 1 3
	server_no_ratelimit
	for i in 1 2 3 4; do
		trace -n -q 10 --tcp "$TOPO_SERVER6"
		[ "$status" -eq 0 ]
		n=$(sed -n 3p <<<"$output" | grep -oE '2001:2:[0-9a-f:]+' | sort -u | wc -l)
		[ "$n" -eq 1 ]
	done
}

@test "--diff: a DSCP rewrite shows at the hop after the rewriting router" {
	topo_up --dscp 2:10 4
	trace -n --diff "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	# router 2 rewrites what it forwards: router 3 is the first to see it
	[ "$(grep -c 'changed:' <<<"$output")" -eq 1 ]
	[[ $(sed -n 4p <<<"$output") == " 3  $TOPO_R3_4 "* ]]
	[ "$(sed -n 5p <<<"$output")" = "    changed: dscp 0->10" ]
	trace -n --diff --icmp "$TOPO_SERVER6"
	[ "$(sed -n 5p <<<"$output")" = "    changed: dscp 0->10" ]
}

@test "--diff: an MSS clamp shows as tcp.mss at the hop after the clamping router" {
	topo_up --mss 3:1200 5
	trace -n --diff --tcp "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'changed:' <<<"$output")" -eq 1 ]
	[[ $(sed -n 5p <<<"$output") == " 4  $TOPO_R4_4 "* ]]
	[[ $(sed -n 6p <<<"$output") == "    changed: tcp.csum "*" tcp.mss 1460->1200" ]]
	# the JSON says the same, and nothing changed before
	trace -n --json --tcp "$TOPO_SERVER6"
	python3 -c '
import json, sys
d = json.load(sys.stdin)
diffs = {h["ttl"]: [c["field"] for c in h["diff"]] for h in d["hops"]}
assert diffs[4] == ["tcp.csum", "tcp.mss"], diffs
assert all(not v for k, v in diffs.items() if k != 4), diffs
mss = [c for c in d["hops"][3]["diff"] if c["field"] == "tcp.mss"][0]
assert (mss["from"], mss["to"]) == (1460, 1200)
assert not any(h["nat"] for h in d["hops"])
' <<<"$output"
}

@test "TCP to an open and a closed port at the destination" {
	topo_up 2
	topo_bg server socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:true
	sleep 0.5
	trace -n --tcp -p 8080 --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["reached"] and [p["reply"] for p in d["hops"][-1]["probes"]] == ["syn-ack"] * 3
' <<<"$output"
	trace -n --tcp -p 8081 --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["reached"] and [p["reply"] for p in d["hops"][-1]["probes"]] == ["rst"] * 3
' <<<"$output"
}

@test "--report -c 200: loss matches nftables loss at router 2 (30%)" {
	topo_up --loss 2:30 3
	server_no_ratelimit
	trace -n --report -c 200 -i 0.005 -w 0.2 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^HOST:\ .*\ Loss%\ +Snt\ +Last\ +Avg\ +Best\ +Wrst\ +StDev$ ]]
	[ "${#lines[@]}" -eq 6 ]
	# Hops 1-2 are before the lossy forwarding: no loss. Probes for
	# hops 3-4 cross it once: binomial(200, 0.3) has sd 3.2 points,
	# so 30 +- 13 is four sd either side.
	for i in 1 2 3 4; do
		[[ ${lines[$((i + 1))]} =~ ^\ \ $i\.\|--\ ([0-9.:]+)\ +([0-9.]+)%\ +([0-9]+)\  ]]
		addr=${BASH_REMATCH[1]} loss=${BASH_REMATCH[2]} snt=${BASH_REMATCH[3]}
		[ "$snt" -eq 200 ]
		[ "$addr" = "$(chain_addrs 3 4 | sed -n ${i}p)" ]
		if [ $i -le 2 ]; then
			[ "$loss" = "0.0" ]
		else
			awk -v l="$loss" 'BEGIN { exit !(l >= 17 && l <= 43) }'
		fi
	done
}

@test "--json parses and agrees with the text output" {
	topo_up --silent 2 3
	server_no_ratelimit
	trace -n "$TOPO_SERVER4"
	text=$output
	trace -n --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
text = sys.argv[1].splitlines()[1:]
assert d["reached"] is True and d["rounds"] == 1
assert [h["ttl"] for h in d["hops"]] == list(range(1, len(text) + 1))
for h, line in zip(d["hops"], text):
    want = line.split()[1]
    got = [p["addr"] or "*" for p in h["probes"]]
    assert got == [want] * 3, (got, line)
    for p in h["probes"]:
        if p["addr"]:
            assert p["rtt_ms"] > 0
assert d["hops"][1]["stats"]["received"] == 0
assert d["hops"][0]["probes"][0]["reply"] == "time exceeded"
assert d["hops"][-1]["probes"][0]["reply"] == "port unreachable"
' "$text" <<<"$output"
}

@test "the destination's ICMP rate limit costs retries, never the destination hop" {
	topo_up 2
	# the server keeps the kernel's limit (burst 6, then 1/s): run
	# until it has no budget left, then trace again with 6 probes per hop
	trace -n -q 6 "$TOPO_SERVER4"
	trace -n -q 6 "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	diff <(hop_addrs) <(chain_addrs 2 4)
}

# Router 2 as a NAT of the kind Dublin traceroute describes: it rewrites
# our source to its own address on the way out and, for ICMP errors
# coming back, the quoted source back to ours, but leaves the quoted
# UDP/TCP checksum as the NATed packet had it. (Linux conntrack also
# fixes the quoted checksum, so a masquerade is built by hand here.)
# With "keep" the quotation is not rewritten back at all.
stateless_nat() {
	local inner='@nh,320,32 0xc6120201 @nh,320,32 set 0xc6120001'
	[ "${1:-}" = keep ] && inner='meta mark set 0'
	topo_exec r2 nft -f - <<NFT
table ip trace_nat {
	chain post {
		type filter hook postrouting priority 300;
		oifname "toserver" ip saddr 198.18.0.1 ip saddr set 198.18.2.1
	}
	chain pre {
		type filter hook prerouting priority -300;
		iifname "toserver" ip daddr 198.18.2.1 icmp type { time-exceeded, destination-unreachable } $inner
		iifname "toserver" ip daddr 198.18.2.1 ip daddr set 198.18.0.1
	}
}
NFT
}

@test "NAT that rewrites quotations back but not their checksum: detected at the first hop behind it" {
	topo_up 4
	stateless_nat
	for m in --udp --tcp; do
		trace -n --diff $m "$TOPO_SERVER4"
		[ "$status" -eq 0 ]
		diff <(hop_addrs) <(chain_addrs 4 4)
		# one changed line, right after hop 3 (router 3 saw the NATed
		# probe first); later hops show nothing new
		[ "$(grep -c 'changed:' <<<"$output")" -eq 1 ]
		[[ $(sed -n 4p <<<"$output") == " 3  $TOPO_R3_4 "* ]]
		[[ $(sed -n 5p <<<"$output") =~ ^\ \ \ \ changed:\ (udp|tcp)\.csum\ 0x[0-9a-f]+-\>0x[0-9a-f]+\ \(NAT\)$ ]]
	done
	trace -n --json "$TOPO_SERVER4"
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [h["nat"] for h in d["hops"]] == [False, False, True, True, True]
assert [c["field"] for c in d["hops"][2]["diff"]] == ["udp.csum"]
assert d["hops"][3]["diff"] == [] and d["hops"][3]["changed"] == d["hops"][2]["changed"]
' <<<"$output"
}

@test "NAT that leaves quotations alone: the quoted source changes at the first hop behind it" {
	topo_up 4
	stateless_nat keep
	trace -n --diff "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	diff <(hop_addrs) <(chain_addrs 4 4)
	[ "$(grep -c 'changed:' <<<"$output")" -eq 1 ]
	[[ $(sed -n 5p <<<"$output") == "    changed: src 198.18.0.1->198.18.2.1 udp.csum 0x"*" (NAT)" ]]
}

@test "Linux masquerade (topo --nat): the trace crosses it with every hop right" {
	topo_up --nat 2 4
	for m in --udp --icmp --tcp; do
		trace -n $m "$TOPO_SERVER4"
		check_chain 4 4
		trace -n $m "$TOPO_SERVER6"
		check_chain 4 6
	done
}

# The quoted UDP checksum of each time exceeded that router 3 sends, as
# seen in a capture: "SRC CSUM" per packet (inner source, hex checksum).
quoted_csums() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off = 24
while off + 16 <= len(data):
    caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
    pkt = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ip = pkt[14:]                       # Ethernet on veth
    if len(ip) < 20 or ip[9] != 1:
        continue
    if ".".join(map(str, ip[12:16])) != sys.argv[2]:
        continue
    icmp = ip[(ip[0] & 15) * 4:]
    if len(icmp) < 8 + 28 or icmp[0] != 11:
        continue
    inner = icmp[8:]
    udp = inner[(inner[0] & 15) * 4:]
    if inner[9] != 17 or len(udp) < 8:
        continue
    print(".".join(map(str, inner[12:16])), "%04x" % struct.unpack(">H", udp[6:8]))
PY
}

# What a Linux masquerade leaves to see. Router 3, behind the NAT, quotes
# the probe as NATed: our source replaced by router 2's, the UDP checksum
# changed with it. Conntrack then rewrites the quotation back on its way
# to us - the address and the checksum (6.x kernels update the inner
# transport checksum too), so the client gets back exactly what it sent
# and no quotation-based test can see this NAT. The capture proves it,
# and echolot must not claim a NAT or a change it cannot see.
@test "Linux masquerade restores the quoted checksum too: nothing to detect, and echolot claims nothing" {
	topo_up --nat 2 4
	topo_capture_start r2 toserver "$BATS_TEST_TMPDIR/behind.pcap" icmp
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/front.pcap" icmp
	trace -n --udp --json "$TOPO_SERVER4"
	topo_capture_stop
	[ "$status" -eq 0 ]
	local json=$output
	run quoted_csums "$BATS_TEST_TMPDIR/behind.pcap" "$TOPO_R3_4"
	echo "behind the NAT: $output"
	local behind=$output
	run quoted_csums "$BATS_TEST_TMPDIR/front.pcap" "$TOPO_R3_4"
	echo "at the client: $output"
	local front=$output
	[ -n "$behind" ] && [ -n "$front" ]
	# behind the NAT: router 2's server-side address and one checksum;
	# at the client: our address and a different checksum (flow-stable
	# probes all carry one checksum)
	[ "$(awk '{ print $1 }' <<<"$behind" | sort -u)" = 198.18.2.1 ]
	[ "$(awk '{ print $1 }' <<<"$front" | sort -u)" = 198.18.0.1 ]
	local c_behind c_front
	c_behind=$(awk '{ print $2 }' <<<"$behind" | sort -u)
	c_front=$(awk '{ print $2 }' <<<"$front" | sort -u)
	[ "$(wc -l <<<"$c_behind")" -eq 1 ] && [ "$(wc -l <<<"$c_front")" -eq 1 ]
	[ "$c_behind" != "$c_front" ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [h["nat"] for h in d["hops"]] == [False] * 5, d["hops"]
assert all(h["diff"] == [] for h in d["hops"]), d["hops"]
' <<<"$json"
}

@test "routers with the kernel's ICMP rate limit: replies it ate are asked for again" {
	# burst of 6, then one a second: 8 probes per hop overrun it; the
	# lost ones are resent after 250 ms, 500 ms and 1 s, and the refill
	# answers one of them (traceroute shows "* *" there)
	topo_up --icmp-ratelimit 2
	trace -n -q 8 --json "$TOPO_SERVER4"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [h["probes"][0]["addr"] for h in d["hops"]] == sys.argv[1].split()
for h in d["hops"]:
    answered = [p for p in h["probes"] if p["addr"]]
    assert len(answered) >= 7, h
    assert max(p["tries"] for p in h["probes"]) > 1, h
    assert all(p["addr"] == h["probes"][0]["addr"] for p in answered)
' "$TOPO_R1_4 $TOPO_R2_4 $TOPO_SERVER4" <<<"$output"
}

@test "-s and -I: probes leave from the given address through the given interface" {
	topo_up 2
	topo_exec client ip addr add 198.18.0.9/24 dev toserver
	topo_capture_start client toserver "$BATS_TEST_TMPDIR/src.pcap" udp
	trace -n -q 1 -s 198.18.0.9 -I toserver "$TOPO_SERVER4"
	topo_capture_stop
	[ "$status" -eq 0 ]
	diff <(hop_addrs) <(chain_addrs 2 4)
	run tcpdump -n -r "$BATS_TEST_TMPDIR/src.pcap"
	echo "$output"
	[[ $output == *"IP 198.18.0.9."*" > $TOPO_SERVER4.33434: UDP"* ]]
	[[ $output != *"IP 198.18.0.1."* ]]
	# an interface that does not lead there: nothing answers, exit 1
	trace -n -q 1 -m 2 -w 0.2 -I lo "$TOPO_SERVER4"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = " 1  *" ]
}

@test "on the wire: flow-stable probes share ports (UDP, TCP) or the checksum (ICMP); --vary-flow does not" {
	topo_up 2
	pcap=$BATS_TEST_TMPDIR/flow.pcap
	flows() { tcpdump -n -r "$pcap" 2>/dev/null | grep "$1" | awk '{ print $3, $5 }' | sort -u | wc -l; }
	topo_capture_start client toserver "$pcap" "udp or tcp dst port 80"
	trace -n "$TOPO_SERVER4"
	trace -n --tcp "$TOPO_SERVER4"
	topo_capture_stop
	[ "$(flows UDP)" -eq 1 ]
	[ "$(flows 'Flags \[S\]')" -eq 1 ]
	# the probes differ in the IPv4 id (at least 9 probes each)
	[ "$(tcpdump -nv -r "$pcap" 2>/dev/null | grep -o 'id [0-9]*' | sort -u | wc -l)" -ge 18 ]
	topo_capture_start client toserver "$pcap" "udp or tcp dst port 80"
	trace -n --vary-flow "$TOPO_SERVER4"
	trace -n --vary-flow --tcp "$TOPO_SERVER4"
	topo_capture_stop
	# (probes beyond the destination, out before it answered, count too)
	[ "$(flows UDP)" -ge 9 ]
	[ "$(flows 'Flags \[S\]')" -ge 9 ]
	# ICMP: same id and checksum for every request, seq differs
	topo_capture_start client toserver "$pcap" "icmp[icmptype] == icmp-echo"
	trace -n --icmp "$TOPO_SERVER4"
	topo_capture_stop
	sums=$(tcpdump -nx -r "$pcap" 2>/dev/null | awk '/0x0010:/ { print $5 }' | sort -u | wc -l)
	seqs=$(tcpdump -n -r "$pcap" 2>/dev/null | grep -o 'seq [0-9]*' | sort -u | wc -l)
	[ "$sums" -eq 1 ]
	[ "$seqs" -ge 9 ]
	topo_capture_start client toserver "$pcap" "icmp[icmptype] == icmp-echo"
	trace -n --icmp --vary-flow "$TOPO_SERVER4"
	topo_capture_stop
	sums=$(tcpdump -nx -r "$pcap" 2>/dev/null | awk '/0x0010:/ { print $5 }' | sort -u | wc -l)
	[ "$sums" -ge 9 ]
}

@test "names: 'name (addr)' from the client's hosts file, 'addr (addr)' without one" {
	topo_up 2
	# ip netns exec binds /etc/netns/NS/hosts over /etc/hosts
	hostsdir=/etc/netns/$(topo_ns client)
	mkdir -p "$hostsdir"
	printf '%s r1.trace.test\n%s server.trace.test\n' "$TOPO_R1_4" "$TOPO_SERVER4" >"$hostsdir/hosts"
	trace "$TOPO_SERVER4"
	rm -rf "$hostsdir"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^\ 1\ \ r1\.trace\.test\ \($TOPO_R1_4\)(\ \ [0-9.]+\ ms){3}$ ]]
	[[ ${lines[2]} =~ ^\ 2\ \ $TOPO_R2_4\ \($TOPO_R2_4\)(\ \ [0-9.]+\ ms){3}$ ]]
	[[ ${lines[3]} =~ ^\ 3\ \ server\.trace\.test\ \($TOPO_SERVER4\)(\ \ [0-9.]+\ ms){3}$ ]]
}
