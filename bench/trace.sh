#!/bin/bash
# bench/trace.sh - echolot trace against traceroute, mtr and tracepath.
#
#   bench/trace.sh [--builddir DIR] [--reps N] [--hops N] [--delay MS]
#                  [--every K] [--rest S] [--md FILE]
#
# One namespace chain of --hops routers (10) where every --every-th router
# (1: all of them; else routers K, 2K, ...) holds forwarded packets
# --delay ms (3) each way (tests/helpers/topo.sh --delay: one NFQUEUE
# helper per such router, so a long chain needs --every to stay within
# what 2 CPUs can delay on time), so the path looks like a real one;
# router 3 and router hops-2 never answer (--silent), router 5 keeps the kernel's ICMP
# rate limit (a burst of 6, then one a second; topo lifts it on the other
# routers), and so does the server. Before each run the benchmark rests
# --rest s (7) so every tool finds full budgets; the rest is not timed.
# Figure: wall time to a complete,
# correct hop list (every answering router and the server, in order), for
# echolot trace against traceroute (default, and -N 32), mtr -r -c 1 and
# tracepath. A run whose hop list is wrong or incomplete stops the
# benchmark: a fast wrong answer measures nothing. Ratios are of medians of
# N interleaved runs. Needs root; traffic stays inside the namespaces, every
# run is bounded by a 120 s timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
builddir=$here/../build reps=3 hops=10 delay=3 every=1 rest=7 md=""
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--hops) hops=$2; shift 2 ;;
	--delay) delay=$2; shift 2 ;;
	--every) every=$2; shift 2 ;;
	--rest) rest=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/trace.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ "$hops" -ge 6 ] || { echo "bench/trace.sh: --hops must be at least 6" >&2; exit 2; }
[[ $every =~ ^[0-9]+$ ]] && [ "$every" -ge 1 ] && [ "$every" -le "$hops" ] ||
	{ echo "bench/trace.sh: --every must be 1 to --hops" >&2; exit 2; }
builddir=$(cd "$builddir" && pwd)
export ECHOLOT_BUILDDIR=$builddir
echolot=$builddir/echolot
[ -z "$md" ] || export BENCH_MD=$md
. "$here/lib.sh"
. "$here/../tests/helpers/topo.sh"

"$echolot" --help | grep -q '^  trace ' ||
	{ echo "bench/trace.sh: $echolot has no trace subcommand" >&2; exit 2; }
for tool in traceroute mtr tracepath; do
	command -v $tool >/dev/null || { echo "bench/trace.sh: $tool not installed" >&2; exit 2; }
done

silent1=3 silent2=$((hops - 2)) limited=5
opts=(--silent "$silent1" --silent "$silent2")
for ((i = every; i <= hops; i += every)); do opts+=(--delay "$i:$delay"); done
topo_up "${opts[@]}" "$hops"
trap topo_cleanup EXIT
# The routers answer without limit (topo's default) except this one,
# which keeps the kernel's: 6 messages, then one a second, per peer.
topo_exec "r$limited" sysctl -qw net.ipv4.icmp_ratelimit=1000
ns=$(topo_ns client)

# The addresses a correct trace lists, in order: every router that
# answers, then the server.
expect=""
for ((i = 1; i <= hops; i++)); do
	[ "$i" -eq "$silent1" ] || [ "$i" -eq "$silent2" ] ||
		expect="$expect $(topo_router_addr "$i")"
done
export TRACE_EXPECT="${expect# } $TOPO_SERVER4"

# Reads a tool's output: prints 0 (the metric needs a number) when the
# distinct 198.18.x.y addresses, in order of first appearance, are the
# expected list; fails otherwise, which stops bench_pair.
trace_check() {
	local out got
	out=$(cat)
	got=$(grep -v 'traceroute to' <<<"$out" | grep -oE '198\.18\.[0-9]+\.[0-9]+' | awk '!seen[$0]++' | paste -sd' ')
	if [ "$got" != "$TRACE_EXPECT" ]; then
		echo "bench/trace.sh: wrong hop list: '$got', want '$TRACE_EXPECT'; the tool printed:" >&2
		head -n 40 <<<"$out" >&2
		return 1
	fi
}
export -f trace_check

# A run: rest until every ICMP budget on the path is full again (the
# kernel refills one message a second, up to 6), so each tool starts
# alike; then CMD in the client namespace, timed on its own, its output
# checked. Prints the seconds CMD took.
run() {
	echo "sleep $rest; s=\$(date +%s%N);" \
		"timeout 120 ip netns exec $ns $1 > \$BENCH_TMP/out.\$\$ 2>&1;" \
		"rc=\$?; e=\$(date +%s%N);" \
		"trace_check < \$BENCH_TMP/out.\$\$ || exit 3;" \
		"echo \$(( (e - s) / 1000 )) | awk '{ print \$1 / 1e6 }'; exit \$rc"
}
seconds() { head -n1; }
BENCH_TMP=$(mktemp -d)
export BENCH_TMP
trap 'topo_cleanup; rm -rf "$BENCH_TMP"' EXIT

[ -z "${BENCH_MD:-}" ] || bench_md_header >>"$BENCH_MD"
dst=$TOPO_SERVER4
if [ "$every" -eq 1 ]; then
	label="trace, $hops hops of ${delay}+${delay} ms, 2 silent, 1 rate-limited"
else
	label="trace, $hops hops, every ${every}th ${delay}+${delay} ms, 2 silent, 1 rate-limited"
fi
ours=$(run "$echolot trace -n $dst")
bench_pair -n "$reps" -m out:seconds -u "wall s" -l "$label" \
	echolot "$ours" traceroute "$(run "traceroute -n $dst")"
bench_pair -n "$reps" -m out:seconds -u "wall s" -l "$label" \
	echolot "$ours" "traceroute-N32" "$(run "traceroute -n -N 32 $dst")"
bench_pair -n "$reps" -m out:seconds -u "wall s" -l "$label" \
	echolot "$ours" "mtr-r-c1" "$(run "mtr -n -r -c 1 $dst")"
bench_pair -n "$reps" -m out:seconds -u "wall s" -l "$label" \
	echolot "$ours" tracepath "$(run "tracepath -n $dst")"
