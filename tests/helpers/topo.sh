# tests/helpers/topo.sh - network-namespace topologies for echolot's tests.
# shellcheck shell=bash
#
# Source it from a bats file (or any bash script run as root):
#
#   load ../helpers/topo.sh         # bats; or: source .../tests/helpers/topo.sh
#   setup()    { topo_up --nat 2 3; }
#   teardown() { topo_cleanup; }
#
# topo_up [options] N
#   Builds the chain  client - r1 - r2 - ... - rN - server  (0 <= N <= 60),
#   one network namespace per node, one veth pair per link, IPv4 and IPv6
#   forwarding on the routers, static routes both ways (client and server
#   have default routes). Namespaces are named "$TOPO_PREFIX-client",
#   "$TOPO_PREFIX-r1", ..., "$TOPO_PREFIX-server"; TOPO_PREFIX is unique per
#   run (el<pid>x<random>). Returns non-zero (with a message on stderr) when
#   something cannot be built; call topo_cleanup anyway.
#
#   Addressing: link k (between node k and node k+1, client = node 0,
#   rI = node I, server = node N+1) is 198.18.k.0/24 and 2001:2:0:k::/64
#   (k in hex in v6); the node on the client side of link k has .1 / ::1,
#   the node on the server side .2 / ::2. So the client is 198.18.0.1 /
#   2001:2::1, router I's client-side address is 198.18.(I-1).2, the server
#   is 198.18.N.2. Routers answer ICMP (time exceeded ...) from their
#   client-side address.
#
#   Interfaces in every namespace: "toclient" (towards the client) and
#   "toserver" (towards the server); with --ecmp also "toserver2" on rI and
#   "toclient2" on the node after r(I+1); "lo" is up everywhere. IPv6 DAD is
#   off, so addresses work at once.
#
#   Options (I is a router number 1..N; several options may be given, each
#   router option may be repeated for other routers):
#     --nat I          router I masquerades (nftables, v4 and v6) what it
#                      sends towards the server: the server sees router I's
#                      server-side address (198.18.I.1 / 2001:2:0:I::1).
#     --loss I:P[:DIR] router I drops P percent (integer 0-100) of forwarded
#                      packets at random (nftables numgen). DIR: up
#                      (client->server, the default: P% of probes are lost),
#                      down (server->client) or both. Router I's own ICMP
#                      errors are not dropped.
#     --delay I:MS[:DIR]  router I holds every forwarded packet MS
#                      milliseconds (iptables NFQUEUE + the nfq_delay
#                      helper). DIR default both: an echo rtt grows by 2*MS.
#     --mss I:S        router I clamps the TCP MSS option of forwarded SYNs
#                      to S (both directions).
#     --dscp I:V[:DIR] router I rewrites the DSCP of forwarded packets to V
#                      (0-63). DIR default up.
#     --mtu I:M        the link after router I (towards the server) has MTU
#                      M (1280-1500): router I answers bigger DF packets
#                      with "fragmentation needed" / "packet too big".
#     --silent I       router I sends no ICMP errors (time exceeded,
#                      unreachable, parameter problem; v4 and v6): a
#                      "* * *" hop. It still forwards and answers echo.
#     --ecmp I         a second path after router I: rI reaches the server
#                      side through r(I+1) or through an extra router
#                      "r(I+1)b" (node name e.g. "r3b"), multipath routes
#                      hashing the 5-tuple only (policy 3, fields 0x37), so
#                      one UDP/TCP flow stays on one path and other ports
#                      may take the other (ICMP echo has no ports: one
#                      path for all). Needs
#                      1 <= I < N; one --ecmp per topology. Alt links are
#                      198.18.200.0/24 (rI .1 - r(I+1)b .2) and 198.18.201.0/24
#                      (r(I+1)b .1 - next node .2), 2001:2:0:c8::/64, c9.
#     --icmp-ratelimit keep the kernel's ICMP rate limits in the routers
#                      (default: icmp_ratelimit=0, icmpv6 ratelimit=0 and a
#                      huge global ICMP budget, so tests are deterministic).
#
# After topo_up these are exported:
#   TOPO_PREFIX TOPO_DIR (state directory) TOPO_N
#   TOPO_CLIENT4 TOPO_CLIENT6 TOPO_SERVER4 TOPO_SERVER6
#   TOPO_R<I>_4 TOPO_R<I>_6   router I's client-side address (= topo_router_addr)
#   TOPO_ECMP_ALT4 TOPO_ECMP_ALT6   the alt router's client-side address
#
# Functions:
#   topo_ns NODE              prints the namespace name of NODE
#                             (client, server, r1..rN, r<J>b)
#   topo_exec NODE CMD...     runs CMD inside NODE's namespace (foreground)
#   topo_bg NODE CMD...       runs CMD in the background inside NODE, output
#                             to a log; sets TOPO_LAST_PID and TOPO_LAST_LOG;
#                             topo_cleanup kills it
#   topo_kill PID             stops one background process (TERM, then KILL)
#   topo_router_addr I [4|6]  router I's client-side address (default 4)
#   topo_node_addr NODE [4|6] any node's client-side address (client: its own)
#   topo_capture_start NODE IFACE FILE [FILTER...]
#                             starts tcpdump -U -w FILE in NODE on IFACE and
#                             waits until it is capturing (name FILE *.pcap:
#                             Debian's AppArmor profile for tcpdump may
#                             refuse other names)
#   topo_capture_stop         stops every capture (files are complete after)
#   topo_cleanup              kills every process and deletes every
#                             namespace this topology made; safe to call
#                             twice or without topo_up. Not under bats, topo_up
#                             also sets EXIT, INT and TERM traps calling it
#                             (replacing the script's own).
#   topo_gc                   deletes leftover el<pid>x* namespaces whose
#                             owning process is gone (manual use)
#
# Under bats, call topo_up in setup (or setup_file, everything is exported)
# and topo_cleanup in teardown (teardown_file); never under `run`, which
# would build the topology in a subshell that forgets it (a failing
# topo_up under `run` is fine: options are checked before anything is
# built). Background commands get fd 3 closed, so bats does not wait.
#
# The delay helper is looked up as $TOPO_NFQ_DELAY, then
# $ECHOLOT_BUILDDIR/tests/helpers/nfq_delay, then ../../build/... next to
# this file. Network safety: everything stays inside the namespaces.

topo__die() {
	echo "topo: $*" >&2
	return 1
}

topo_ns() {
	local node=$1
	[ -n "${TOPO_PREFIX:-}" ] || { topo__die "no topology (call topo_up)"; return 1; }
	case $node in
	client | server | r[0-9] | r[0-9][0-9] | r[0-9]b | r[0-9][0-9]b) ;;
	*) topo__die "unknown node '$node' (client, server, r1..r$TOPO_N)"; return 1 ;;
	esac
	echo "$TOPO_PREFIX-$node"
}

topo_exec() {
	local ns
	ns=$(topo_ns "$1") || return 2
	shift
	ip netns exec "$ns" "$@"
}

topo_bg() {
	local ns n log
	ns=$(topo_ns "$1") || return 2
	shift
	n=$(wc -l <"$TOPO_DIR/pids" 2>/dev/null || echo 0)
	log="$TOPO_DIR/bg.$n.log"
	# fd 3 is bats' output channel: a child keeping it open hangs bats.
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null 3>&- &
	TOPO_LAST_PID=$!
	TOPO_LAST_LOG=$log
	echo "$TOPO_LAST_PID" >>"$TOPO_DIR/pids"
}

topo_kill() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	return 0
}

topo__addr() { # link side family -> address
	local k=$1 side=$2 fam=$3
	if [ "$fam" = 6 ] && [ "$k" -eq 0 ]; then
		printf '2001:2::%d' "$side" # RFC 5952 form, as tools print it
	elif [ "$fam" = 6 ]; then
		printf '2001:2:0:%x::%d' "$k" "$side"
	else
		printf '198.18.%d.%d' "$k" "$side"
	fi
}

topo_node_addr() {
	local node=$1 fam=${2:-4} i
	case $node in
	client) topo__addr 0 1 "$fam" ;;
	server) topo__addr "$TOPO_N" 2 "$fam" ;;
	r*b) topo__addr 200 2 "$fam" ;;
	r*)
		i=${node#r}
		[ "$i" -ge 1 ] && [ "$i" -le "$TOPO_N" ] ||
			{ topo__die "no router $node"; return 1; }
		topo__addr $((i - 1)) 2 "$fam" ;;
	*) topo__die "unknown node '$node'"; return 1 ;;
	esac
}

topo_router_addr() {
	topo_node_addr "r$1" "${2:-4}"
}

topo__node_name() { # index -> name
	local n=$1
	if [ "$n" -eq 0 ]; then echo client
	elif [ "$n" -eq $((TOPO_N + 1)) ]; then echo server
	else echo "r$n"; fi
}

# Creates a veth link between two namespaces and gives both ends addresses.
# topo__link NS_A IF_A ADDR_A4 ADDR_A6 NS_B IF_B ADDR_B4 ADDR_B6
topo__link() {
	ip link add "$2" netns "$1" type veth peer name "$6" netns "$5" ||
		{ topo__die "cannot create veth $1/$2 - $5/$6"; return 1; }
	ip -n "$1" -b - <<-EOF || return 1
		addr add $3/24 dev $2
		addr add $4/64 dev $2 nodad
		addr add fe80::1/64 dev $2 nodad
	EOF
	ip -n "$5" -b - <<-EOF || return 1
		addr add $7/24 dev $6
		addr add $8/64 dev $6 nodad
		addr add fe80::2/64 dev $6 nodad
	EOF
}

# Prints the routes (ip -batch) for link k's subnet, v4 and v6, via the
# gateway on link gwk, side gws, out of dev.
topo__route() {
	local k=$1 gwk=$2 gws=$3 dev=$4
	printf 'route add 198.18.%d.0/24 via %s dev %s\n' "$k" "$(topo__addr "$gwk" "$gws" 4)" "$dev"
	printf 'route add 2001:2:0:%x::/64 via %s dev %s\n' "$k" "$(topo__addr "$gwk" "$gws" 6)" "$dev"
}

topo__multiroute() { # k: route link k's subnet over both paths of rI
	local k=$1 i=$2
	printf 'route add 198.18.%d.0/24 nexthop via %s dev toserver nexthop via %s dev toserver2\n' \
		"$k" "$(topo__addr "$i" 2 4)" "$(topo__addr 200 2 4)"
	printf 'route add 2001:2:0:%x::/64 nexthop via %s dev toserver nexthop via %s dev toserver2\n' \
		"$k" "$(topo__addr "$i" 2 6)" "$(topo__addr 200 2 6)"
}

# The routes of router n (1..N) in a plain chain, plus the alt-path links.
topo__router_routes() {
	local n=$1 e=$2 k
	for ((k = 0; k <= TOPO_N; k++)); do
		[ "$k" -eq $((n - 1)) ] || [ "$k" -eq "$n" ] && continue
		if [ "$k" -lt $((n - 1)) ]; then
			topo__route "$k" $((n - 1)) 1 toclient
		elif [ "$e" -gt 0 ] && [ "$n" -eq "$e" ]; then
			topo__multiroute "$k" "$n"
		else
			topo__route "$k" "$n" 2 toserver
		fi
	done
	[ "$e" -gt 0 ] || return 0
	# alt links 200 (rE - r(E+1)b) and 201 (r(E+1)b - node E+2)
	if [ "$n" -lt "$e" ]; then
		topo__route 200 "$n" 2 toserver
		topo__route 201 "$n" 2 toserver
	elif [ "$n" -eq "$e" ]; then
		topo__route 201 200 2 toserver2
	elif [ "$n" -eq $((e + 1)) ]; then
		topo__route 200 $((n - 1)) 1 toclient
		topo__route 201 "$n" 2 toserver
	elif [ "$n" -eq $((e + 2)) ]; then
		topo__route 200 201 1 toclient2
	else
		topo__route 200 $((n - 1)) 1 toclient
		topo__route 201 $((n - 1)) 1 toclient
	fi
}

topo__alt_routes() { # routes of r(E+1)b
	local e=$1 k
	for ((k = 0; k <= TOPO_N; k++)); do
		if [ "$k" -le "$e" ]; then
			topo__route "$k" 200 1 toclient
		else
			topo__route "$k" 201 2 toserver
		fi
	done
}

topo__sysctls() { # role ratelimit -> the sysctl settings, one a line
	local s=(net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
		net.ipv6.conf.default.addr_gen_mode=1
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0)
	# Multipath: policy 3 hashes only the 5-tuple (fields 0x37). Policy 1
	# would reuse the sender socket's random skb hash, which survives the
	# veth crossing here, so one flow could take either path.
	if [ "$1" = router ]; then
		s+=(net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
			net.ipv4.fib_multipath_hash_policy=3
			net.ipv4.fib_multipath_hash_fields=0x0037
			net.ipv6.fib_multipath_hash_policy=3
			net.ipv6.fib_multipath_hash_fields=0x0037)
		[ "$2" = keep ] || s+=(net.ipv4.icmp_ratelimit=0
			net.ipv6.icmp.ratelimit=0
			net.ipv4.icmp_msgs_per_sec=1000000
			net.ipv4.icmp_msgs_burst=1000000)
	fi
	printf '%s\n' "${s[@]}"
}

topo__dir_match() { # DIR -> nft iif match
	case $1 in
	up) echo 'iifname "toclient*"' ;;
	down) echo 'iifname "toserver*"' ;;
	both) echo '' ;;
	*) return 1 ;;
	esac
}

# Every router feature that nftables does lives in one table per router.
topo__nft() { # router index, rules on stdin appended to the table
	local ns
	ns=$(topo_ns "r$1") || return 1
	ip netns exec "$ns" nft -f - || { topo__die "nft failed on r$1"; return 1; }
}

topo__nft_table() {
	cat <<-'EOF'
		table inet echolot_topo {
			chain fwd_mangle { type filter hook forward priority mangle; }
			chain fwd_filter { type filter hook forward priority filter; }
			chain out_filter { type filter hook output priority filter; }
			chain post_nat { type nat hook postrouting priority srcnat; }
		}
	EOF
}

topo__find_nfq() {
	local c
	for c in "${TOPO_NFQ_DELAY:-}" \
		"${ECHOLOT_BUILDDIR:+$ECHOLOT_BUILDDIR/tests/helpers/nfq_delay}" \
		"$(dirname "${BASH_SOURCE[0]}")/../../build/tests/helpers/nfq_delay"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	topo__die "nfq_delay helper not built (needs libnetfilter-queue-dev; set TOPO_NFQ_DELAY)"
}

topo__check_router() { # option value -> router index
	local i=${2%%:*}
	[[ $i =~ ^[0-9]+$ ]] && [ "$i" -ge 1 ] && [ "$i" -le "$TOPO_N" ] || {
		topo__die "$1 $2: no router '$i' (1..$TOPO_N)"
		return 1
	}
	echo "$i"
}

# Checks one router option (mode "check", before anything is built, so a
# bad option leaves nothing behind) or applies it (mode "apply").
topo__apply() {
	local opt=$1 val=$2 mode=$3 i rest a b m nfq ns q
	i=$(topo__check_router "$opt" "$val") || return 1
	rest=${val#"$i"}; rest=${rest#:}
	a=${rest%%:*}; b=${rest#"$a"}; b=${b#:}
	case $opt in
	--nat | --silent)
		[ -z "$rest" ] || { topo__die "$opt $val: takes only a router number"; return 1; }
		;;
	esac
	case $opt in
	--nat)
		[ "$mode" = check ] && return 0
		topo__nft "$i" <<-'EOF'
			add rule inet echolot_topo post_nat oifname "toserver*" masquerade
		EOF
		;;
	--loss)
		[[ $a =~ ^[0-9]+$ ]] && [ "$a" -le 100 ] || { topo__die "--loss $val: percent 0-100"; return 1; }
		m=$(topo__dir_match "${b:-up}") || { topo__die "--loss $val: direction up, down or both"; return 1; }
		[ "$mode" = check ] && return 0
		if [ "$a" -eq 100 ]; then
			echo "add rule inet echolot_topo fwd_filter $m drop"
		else
			echo "add rule inet echolot_topo fwd_filter $m numgen random mod 100 < $a drop"
		fi | topo__nft "$i"
		;;
	--dscp)
		[[ $a =~ ^[0-9]+$ ]] && [ "$a" -le 63 ] || { topo__die "--dscp $val: DSCP 0-63"; return 1; }
		m=$(topo__dir_match "${b:-up}") || { topo__die "--dscp $val: direction up, down or both"; return 1; }
		[ "$mode" = check ] && return 0
		topo__nft "$i" <<-EOF
			add rule inet echolot_topo fwd_mangle $m meta nfproto ipv4 ip dscp set $a
			add rule inet echolot_topo fwd_mangle $m meta nfproto ipv6 ip6 dscp set $a
		EOF
		;;
	--mss)
		[[ $a =~ ^[0-9]+$ ]] && [ "$a" -ge 1 ] && [ "$a" -le 65535 ] || { topo__die "--mss $val: MSS 1-65535"; return 1; }
		[ "$mode" = check ] && return 0
		topo__nft "$i" <<-EOF
			add rule inet echolot_topo fwd_mangle tcp flags & (syn|rst) == syn tcp option maxseg size > $a tcp option maxseg size set $a
		EOF
		;;
	--mtu)
		[[ $a =~ ^[0-9]+$ ]] && [ "$a" -ge 1280 ] && [ "$a" -le 1500 ] || { topo__die "--mtu $val: MTU 1280-1500"; return 1; }
		[ "$mode" = check ] && return 0
		# both ends of router I's server-side link: I sends the errors
		ip -n "$(topo_ns "r$i")" link set toserver mtu "$a" &&
		ip -n "$TOPO_PREFIX-$(topo__node_name $((i + 1)))" link set toclient mtu "$a" ||
			{ topo__die "--mtu $val failed"; return 1; }
		;;
	--silent)
		[ "$mode" = check ] && return 0
		topo__nft "$i" <<-'EOF'
			add rule inet echolot_topo out_filter icmp type { time-exceeded, destination-unreachable, parameter-problem } drop
			add rule inet echolot_topo out_filter icmpv6 type { time-exceeded, destination-unreachable, parameter-problem, packet-too-big } drop
		EOF
		;;
	--delay)
		[[ $a =~ ^[0-9]+$ ]] && [ "$a" -ge 1 ] && [ "$a" -le 10000 ] || { topo__die "--delay $val: milliseconds 1-10000"; return 1; }
		case ${b:-both} in
		up) m=(-i "toclient+") ;;
		down) m=(-i "toserver+") ;;
		both) m=() ;;
		*) topo__die "--delay $val: direction up, down or both"; return 1 ;;
		esac
		nfq=$(topo__find_nfq) || return 1
		[ "$mode" = check ] && return 0
		ns=$(topo_ns "r$i")
		q=$i
		rm -f "$TOPO_DIR/nfq.$i.ready"
		topo_bg "r$i" "$nfq" --queue "$q" --delay "$a" --ready "$TOPO_DIR/nfq.$i.ready"
		for _ in $(seq 100); do
			[ -e "$TOPO_DIR/nfq.$i.ready" ] && break
			kill -0 "$TOPO_LAST_PID" 2>/dev/null || break
			sleep 0.05
		done
		[ -e "$TOPO_DIR/nfq.$i.ready" ] || {
			topo__die "nfq_delay on r$i did not start: $(cat "$TOPO_LAST_LOG")"
			return 1
		}
		ip netns exec "$ns" iptables -w 5 -A FORWARD "${m[@]}" -j NFQUEUE --queue-num "$q" &&
		ip netns exec "$ns" ip6tables -w 5 -A FORWARD "${m[@]}" -j NFQUEUE --queue-num "$q" ||
			{ topo__die "iptables NFQUEUE failed on r$i"; return 1; }
		;;
	esac
}

topo_up() {
	local opts=() ecmp=0 ratelimit=set n k ns
	while [ $# -gt 0 ]; do
		case $1 in
		--nat | --loss | --delay | --mss | --dscp | --silent | --mtu)
			[ $# -ge 2 ] || { topo__die "$1 needs a value"; return 2; }
			opts+=("$1" "$2"); shift 2 ;;
		--ecmp)
			[ $# -ge 2 ] || { topo__die "$1 needs a value"; return 2; }
			[ "$ecmp" -eq 0 ] || { topo__die "only one --ecmp"; return 2; }
			[[ $2 =~ ^[0-9]+$ ]] || { topo__die "--ecmp $2: router number"; return 2; }
			ecmp=$2; shift 2 ;;
		--icmp-ratelimit) ratelimit=keep; shift ;;
		-*) topo__die "unknown option '$1'"; return 2 ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] && [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -le 60 ] ||
		{ topo__die "usage: topo_up [options] N (0 <= N <= 60)"; return 2; }
	[ -z "${TOPO_PREFIX:-}" ] || { topo__die "topology $TOPO_PREFIX is up (topo_cleanup first)"; return 2; }
	export TOPO_N=$1
	if [ "$ecmp" -ne 0 ] && { [ "$ecmp" -lt 1 ] || [ "$ecmp" -ge "$TOPO_N" ]; }; then
		topo__die "--ecmp $ecmp needs 1 <= I < N"; return 2
	fi
	local j
	for ((j = 0; j < ${#opts[@]}; j += 2)); do
		topo__apply "${opts[j]}" "${opts[j + 1]}" check || return 2
	done
	export TOPO_PREFIX
	TOPO_PREFIX=el$$x$(printf '%04x' $((RANDOM & 0xffff)))
	export TOPO_DIR
	TOPO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$TOPO_PREFIX.XXXXXX") || return 1
	: >"$TOPO_DIR/pids"
	: >"$TOPO_DIR/namespaces"
	export TOPO_ECMP=$ecmp
	# bats has its own EXIT trap (its teardown calls topo_cleanup); a plain
	# script gets ours, and an interrupt cleans up too.
	if [ -z "${BATS_TEST_FILENAME:-}" ]; then
		trap topo_cleanup EXIT
		trap 'topo_cleanup; exit 130' INT
		trap 'topo_cleanup; exit 143' TERM
	fi

	local nodes=() node role
	for ((n = 0; n <= TOPO_N + 1; n++)); do nodes+=("$(topo__node_name "$n")"); done
	[ "$ecmp" -eq 0 ] || nodes+=("r$((ecmp + 1))b")
	for node in "${nodes[@]}"; do
		ns=$TOPO_PREFIX-$node
		ip netns add "$ns" || { topo__die "cannot add namespace $ns"; return 1; }
		echo "$ns" >>"$TOPO_DIR/namespaces"
		ip -n "$ns" link set lo up || return 1
		case $node in
		client | server) role=host ;;
		*) role=router ;;
		esac
		# shellcheck disable=SC2046 # one word per setting
		ip netns exec "$ns" sysctl -qw $(topo__sysctls "$role" "$ratelimit") >/dev/null ||
			{ topo__die "sysctls failed in $ns"; return 1; }
	done

	local a b
	for ((k = 0; k <= TOPO_N; k++)); do
		a=$TOPO_PREFIX-$(topo__node_name "$k")
		b=$TOPO_PREFIX-$(topo__node_name $((k + 1)))
		topo__link "$a" toserver "$(topo__addr "$k" 1 4)" "$(topo__addr "$k" 1 6)" \
			"$b" toclient "$(topo__addr "$k" 2 4)" "$(topo__addr "$k" 2 6)" || return 1
	done
	if [ "$ecmp" -ne 0 ]; then
		local alt=$TOPO_PREFIX-r$((ecmp + 1))b
		topo__link "$TOPO_PREFIX-r$ecmp" toserver2 "$(topo__addr 200 1 4)" "$(topo__addr 200 1 6)" \
			"$alt" toclient "$(topo__addr 200 2 4)" "$(topo__addr 200 2 6)" || return 1
		topo__link "$alt" toserver "$(topo__addr 201 1 4)" "$(topo__addr 201 1 6)" \
			"$TOPO_PREFIX-$(topo__node_name $((ecmp + 2)))" toclient2 \
			"$(topo__addr 201 2 4)" "$(topo__addr 201 2 6)" || return 1
	fi

	topo__links_up || return 1
	if [ "$ecmp" -ne 0 ]; then
		topo__alt_routes "$ecmp" | ip -n "$TOPO_PREFIX-r$((ecmp + 1))b" -b - ||
			{ topo__die "routes failed in r$((ecmp + 1))b"; return 1; }
	fi
	ip -n "$TOPO_PREFIX-client" -b - <<-EOF || return 1
		route add default via $(topo__addr 0 2 4) dev toserver
		route add ::/0 via $(topo__addr 0 2 6) dev toserver
	EOF
	ip -n "$TOPO_PREFIX-server" -b - <<-EOF || return 1
		route add default via $(topo__addr "$TOPO_N" 1 4) dev toclient
		route add ::/0 via $(topo__addr "$TOPO_N" 1 6) dev toclient
	EOF
	for ((n = 1; n <= TOPO_N; n++)); do
		ns=$TOPO_PREFIX-r$n
		if [ "$TOPO_N" -gt 1 ] || [ "$ecmp" -gt 0 ]; then
			topo__router_routes "$n" "$ecmp" | ip -n "$ns" -b - ||
				{ topo__die "routes failed in $ns"; return 1; }
		fi
		topo__nft_table | ip netns exec "$ns" nft -f - ||
			{ topo__die "nft table failed in $ns"; return 1; }
	done

	export TOPO_CLIENT4 TOPO_CLIENT6 TOPO_SERVER4 TOPO_SERVER6
	TOPO_CLIENT4=$(topo__addr 0 1 4)
	TOPO_CLIENT6=$(topo__addr 0 1 6)
	TOPO_SERVER4=$(topo__addr "$TOPO_N" 2 4)
	TOPO_SERVER6=$(topo__addr "$TOPO_N" 2 6)
	for ((n = 1; n <= TOPO_N; n++)); do
		export "TOPO_R${n}_4=$(topo_router_addr "$n" 4)"
		export "TOPO_R${n}_6=$(topo_router_addr "$n" 6)"
	done
	if [ "$ecmp" -ne 0 ]; then
		export TOPO_ECMP_ALT4 TOPO_ECMP_ALT6
		TOPO_ECMP_ALT4=$(topo__addr 200 2 4)
		TOPO_ECMP_ALT6=$(topo__addr 200 2 6)
	fi

	topo__wait_up || return 1
	for ((j = 0; j < ${#opts[@]}; j += 2)); do
		topo__apply "${opts[j]}" "${opts[j + 1]}" apply || return 1
	done
	return 0
}

# All links go up together, after every address is in place, so the
# kernel's carrier events for them come in one batch.
topo__links_up() {
	local ns dev
	while read -r ns; do
		for dev in $(ip -n "$ns" -o link show type veth | awk -F'[:@]' '{ print $2 }'); do
			ip -n "$ns" link set "$dev" up || return 1
		done
	done <"$TOPO_DIR/namespaces"
}

# The kernel's linkwatch may take up to a second to report a veth's carrier
# (operstate UP); until then IPv6 neighbour discovery on it fails and the
# first packets wait a second. Wait (bounded) until every link is UP.
topo__wait_up() {
	local i ns down
	for i in $(seq 200); do
		down=0
		while read -r ns; do
			if ip -n "$ns" -o link show | grep -v ' lo:' | grep -qv 'state UP'; then
				down=1
			fi
		done <"$TOPO_DIR/namespaces"
		[ "$down" -eq 0 ] && return 0
		sleep 0.05
	done
	topo__die "links still down after 10 s"
}

topo_capture_start() {
	local node=$1 iface=$2 file=$3 i
	shift 3
	# --immediate-mode: without it packets sit in the capture ring for up
	# to a second and are lost when we stop tcpdump.
	topo_bg "$node" tcpdump -n -U --immediate-mode -i "$iface" -w "$file" "$@" || return 1
	echo "$TOPO_LAST_PID" >>"$TOPO_DIR/captures"
	for i in $(seq 100); do
		grep -q 'listening on' "$TOPO_LAST_LOG" 2>/dev/null && return 0
		kill -0 "$TOPO_LAST_PID" 2>/dev/null || break
		sleep 0.05
	done
	topo__die "tcpdump on $node/$iface did not start: $(cat "$TOPO_LAST_LOG")"
}

topo_capture_stop() {
	local pid
	[ -f "${TOPO_DIR:-/nonexistent}/captures" ] || return 0
	# tcpdump writes out what it has on SIGINT as well as SIGTERM; wait for
	# it so the file is complete when we return.
	while read -r pid; do
		topo_kill "$pid"
	done <"$TOPO_DIR/captures"
	rm -f "$TOPO_DIR/captures"
}

topo_cleanup() {
	local pid ns p
	[ -n "${TOPO_DIR:-}" ] && [ -d "$TOPO_DIR" ] || {
		unset TOPO_PREFIX TOPO_DIR
		return 0
	}
	topo_capture_stop
	while read -r pid; do
		[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
	done <"$TOPO_DIR/pids"
	while read -r pid; do
		[ -z "$pid" ] || topo_kill "$pid"
	done <"$TOPO_DIR/pids"
	while read -r ns; do
		[ -n "$ns" ] || continue
		# Anything else still running inside our namespaces is ours too.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done <"$TOPO_DIR/namespaces"
	rm -rf "$TOPO_DIR"
	local n
	for ((n = 1; n <= ${TOPO_N:-0}; n++)); do unset "TOPO_R${n}_4" "TOPO_R${n}_6"; done
	unset TOPO_PREFIX TOPO_DIR TOPO_N TOPO_ECMP TOPO_CLIENT4 TOPO_CLIENT6 \
		TOPO_SERVER4 TOPO_SERVER6 TOPO_ECMP_ALT4 TOPO_ECMP_ALT6
	return 0
}

topo_gc() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns =~ ^el([0-9]+)x[0-9a-f]{4}- ]] || continue
		pid=${BASH_REMATCH[1]}
		kill -0 "$pid" 2>/dev/null && continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		if ip netns del "$ns" 2>/dev/null; then echo "topo_gc: removed $ns" >&2; fi
	done
	return 0
}
