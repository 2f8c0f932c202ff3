#!/bin/bash
# bench/ping.sh - echolot ping against iputils ping, side by side.
#
#   bench/ping.sh [--builddir DIR] [--reps N] [--count N] [--md FILE]
#
# 1. flood rate on loopback (packets per second, -f -c COUNT)
# 2. cpu time for the same flood
# 3. peak RSS for the same flood (memory must not grow with the count)
# 4. rtt through a namespace chain whose router holds packets 20 ms each
#    way (tests/helpers/topo.sh --delay): the average each tool reports,
#    so the ratio shows whether both measure the same path alike
# 5. where datagram sockets are allowed: flood rate and cpu, and the cpu
#    of a bare flood loop (bench/ping_bare) on one thread and on two
# Each figure is the ratio of the medians of N interleaved runs. Needs root
# (flood, namespaces). Traffic: 127.0.0.1 and the test namespaces only;
# every run is bounded by --count and a 120 s timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
builddir=$here/../build reps=5 count=20000 md=""
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/ping.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
builddir=$(cd "$builddir" && pwd)
export ECHOLOT_BUILDDIR=$builddir
echolot=$builddir/echolot
[ -z "$md" ] || export BENCH_MD=$md
. "$here/lib.sh"
. "$here/../tests/helpers/topo.sh"

"$echolot" --help | grep '^  ping ' >/dev/null ||
	{ echo "bench/ping.sh: $echolot has no ping subcommand" >&2; exit 2; }
command -v ping >/dev/null || { echo "bench/ping.sh: iputils ping not installed" >&2; exit 2; }

# The average rtt from the iputils-style summary line both tools print.
avg_rtt() { sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p'; }

[ -z "${BENCH_MD:-}" ] || bench_md_header >>"$BENCH_MD"
t="timeout 120"
flood="-f -q -c $count 127.0.0.1"
bench_pair -n "$reps" -m "rate:$count" -u pps -l "ping flood, loopback, $count probes" \
	echolot "$t $echolot ping $flood" iputils "$t ping $flood"
bench_pair -n "$reps" -m cpu -u "cpu s" -l "ping flood cpu, $count probes" \
	echolot "$t $echolot ping $flood" iputils "$t ping $flood"
bench_pair -n "$reps" -m rss -u "peak RSS" -l "ping flood peak RSS, $count probes" \
	echolot "$t $echolot ping $flood" iputils "$t ping $flood"

# -- ping: start-up, rtt overhead on loopback, memory over a long flood
min_rtt() { sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p'; }
one="-c 1 -q 127.0.0.1"
bench_pair -n "$reps" -m wall -u "wall s" -l "ping -c 1 start-up, loopback" \
	echolot "$t $echolot ping $one" iputils "$t ping $one"
bench_pair -n "$reps" -m rss -u "peak RSS" -l "ping -c 1 peak RSS" \
	echolot "$t $echolot ping $one" iputils "$t ping $one"
paced="-c 300 -i 0.002 -q 127.0.0.1"
bench_pair -n "$reps" -m out:min_rtt -u "min rtt" -l "min rtt, loopback, 300 probes at 2 ms" \
	echolot "$t $echolot ping $paced" iputils "$t ping $paced"
bench_pair -n "$reps" -m out:avg_rtt -u "avg rtt" -l "avg rtt, loopback, 300 probes at 2 ms" \
	echolot "$t $echolot ping $paced" iputils "$t ping $paced"
# Memory must stay flat: echolot's own peak RSS after 10^6 flood probes
# against 10^4 (medians of three interleaved rounds: a single round of
# each gave 0.99 to 1.08 on its own, with no trend).
bench_pair -n 3 -m rss -u "peak RSS 1e6/1e4" -l "echolot ping -f peak RSS, 10^6 vs 10^4 probes" \
	"echolot-1e6" "timeout 200 $echolot ping -f -q -c 1000000 127.0.0.1" \
	"echolot-1e4" "$t $echolot ping -f -q -c 10000 127.0.0.1"

topo_up --delay 1:20 1
trap topo_cleanup EXIT
ns=$(topo_ns client)
# -- ping: flood where datagram sockets are allowed (root's group in
# ping_group_range inside the client namespace): echolot floods from two
# threads; iputils takes a datagram socket too (it tries one first), one
# thread. On the namespace's loopback.
ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
bench_pair -n "$reps" -m "rate:$count" -u pps -l "ping flood, datagram sockets allowed, $count probes" \
	echolot "$t ip netns exec $ns $echolot ping $flood" \
	iputils "$t ip netns exec $ns ping $flood"
bench_pair -n "$reps" -m cpu -u "cpu s" -l "ping flood cpu, datagram sockets allowed, $count probes" \
	echolot "$t ip netns exec $ns $echolot ping $flood" \
	iputils "$t ip netns exec $ns ping $flood"
# The yardstick for that row: the plainest flood loop (bench/ping_bare),
# one thread and two. What the second CPU costs a bare loop per reply
# bounds what echolot's two threads can save against iputils' one.
bare=$builddir/bench/ping_bare
for th in 1 2; do
	bench_pair -n "$reps" -m cpu -u "cpu s" -l "flood cpu, datagram sockets, bare loop with $th thread(s), $count probes" \
		"bare-$th" "$t ip netns exec $ns $bare $count dgram $th" \
		iputils "$t ip netns exec $ns ping $flood"
done
ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="1 0"
path="-c 20 -i 0.05 -q $TOPO_SERVER4"
bench_pair -n "$reps" -m out:avg_rtt -u "avg rtt" -l "rtt via a 20 ms+20 ms hop, 20 probes" \
	echolot "$t ip netns exec $ns $echolot ping $path" \
	iputils "$t ip netns exec $ns ping $path"
