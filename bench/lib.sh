# bench/lib.sh - run echolot and an anchor tool side by side, report ratios.
# shellcheck shell=bash
#
# Absolute times on a shared machine are noise; a ratio of two tools
# measured in the same run, repetitions interleaved (A B B A A B ...), is
# the figure to quote. Source this file from a bench script:
#
#   . "$(dirname "$0")/lib.sh"
#   bench_md_header >>"$BENCH_MD"             # once per results file
#   bench_pair -n 5 -m rate:1000 -u pps -l "ping flood, 1000 probes" \
#       echolot "echolot ping -f -c 1000 -q 198.18.1.2" \
#       iputils "ping -f -c 1000 -q 198.18.1.2"
#   # prints: echolot/iputils pps = 1.72   (median of each side)
#
# bench_pair [options] NAME_A CMD_A NAME_B CMD_B
#   Runs CMD_A and CMD_B (strings for bash -c, e.g. "ip netns exec NS ping
#   ..."), -n times each, alternating and swapping the order every other
#   round so drift hits both sides alike. Each run goes through bench/rusage
#   (wall time, cpu, peak RSS). The metric of one run is:
#     -m wall        wall seconds (default)
#     -m cpu         user + sys seconds
#     -m rss         peak RSS in KiB
#     -m rate:WORK   WORK / wall seconds (WORK: packets, bytes ... per run)
#     -m out:FUNC    what shell function FUNC prints when fed the run's stdout
#                    (e.g. an rtt parsed from the output)
#   -u UNIT names the figure in the ratio line (default: the metric's name),
#   -l LABEL names the row in the markdown table (default: UNIT).
#   A run that exits non-zero stops bench_pair with status 1 (a benchmark
#   of a failing command measures nothing); -x STATUS accepts another exit
#   status as success (ping's 1 when replies are missing, say).
#   Afterwards: BENCH_A BENCH_B (medians) BENCH_RATIO (A/B, 2 decimals)
#   and BENCH_A_SAMPLES BENCH_B_SAMPLES (space-separated). If BENCH_MD is
#   set, a markdown row is appended to that file.
#
# bench_median          numbers on stdin, one a line -> their median
# bench_ratio A B       A/B with two decimals ("inf" when B is 0)
# bench_md_header       the table header and the machine it ran on
# bench_md_row LABEL UNIT NAME_A A NAME_B B RATIO RUNS CMD_A CMD_B
#
# Environment: BENCH_RUSAGE (path of bench/rusage; default from
# ECHOLOT_BUILDDIR or ../build next to this file), BENCH_MD, BENCH_LOG
# (directory for each run's output; default a temporary one).

bench__die() {
	echo "bench: $*" >&2
	return 1
}

bench_median() {
	sort -g | awk '
		/^[-+0-9.eE]+$/ { v[n++] = $1 }
		END {
			if (n == 0) exit 1
			if (n % 2) printf "%.6g\n", v[(n - 1) / 2]
			else printf "%.6g\n", (v[n / 2 - 1] + v[n / 2]) / 2
		}'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 == 0) { print "inf"; exit }
		printf "%.2f\n", a / b
	}'
}

bench__rusage() {
	local c
	for c in "${BENCH_RUSAGE:-}" \
		"${ECHOLOT_BUILDDIR:+$ECHOLOT_BUILDDIR/bench/rusage}" \
		"$(dirname "${BASH_SOURCE[0]}")/../build/bench/rusage"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	bench__die "bench/rusage not built (make check-build, or set BENCH_RUSAGE)"
}

# One run of CMD: prints the metric's value. run_id names its log files.
bench__one() {
	local metric=$1 cmd=$2 log=$3 ok=$4 rus line v status
	rus=$(bench__rusage) || return 1
	"$rus" --output "$log.rusage" -- bash -c "$cmd" >"$log.out" 2>"$log.err" </dev/null
	status=$?
	if [ "$status" -ne 0 ] && [ "$status" -ne "$ok" ]; then
		bench__die "'$cmd' exited with $status: $(head -c 300 "$log.err")"
		return 1
	fi
	line=$(cat "$log.rusage")
	case $metric in
	wall) v=$(sed -n 's/.*wall=\([0-9.]*\).*/\1/p' <<<"$line") ;;
	cpu) v=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
			if (kv[1] == "user" || kv[1] == "sys") s += kv[2] } }
		END { printf "%.6f\n", s }' <<<"$line") ;;
	rss) v=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$line") ;;
	rate:*)
		v=$(sed -n 's/.*wall=\([0-9.]*\).*/\1/p' <<<"$line")
		v=$(awk -v w="${metric#rate:}" -v t="$v" 'BEGIN { printf "%.6g\n", (t > 0 ? w / t : 0) }') ;;
	out:*) v=$("${metric#out:}" <"$log.out") ;;
	*) bench__die "unknown metric '$metric'"; return 1 ;;
	esac
	[[ $v =~ ^[-+0-9.eE]+$ ]] || { bench__die "no value for '$metric' from '$cmd'"; return 1; }
	echo "$v"
}

bench_pair() {
	local reps=5 metric=wall unit="" label="" ok=0 OPTIND=1 o
	while getopts n:m:u:l:x: o; do
		case $o in
		n) reps=$OPTARG ;;
		m) metric=$OPTARG ;;
		u) unit=$OPTARG ;;
		l) label=$OPTARG ;;
		x) ok=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 4 ] || { bench__die "usage: bench_pair [options] NAME_A CMD_A NAME_B CMD_B"; return 2; }
	[[ $reps =~ ^[1-9][0-9]*$ ]] || { bench__die "-n $reps: a count"; return 2; }
	unit=${unit:-${metric%%:*}}
	label=${label:-$unit}
	local na=$1 ca=$2 nb=$3 cb=$4 dir i va vb
	dir=${BENCH_LOG:-$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")}
	mkdir -p "$dir"
	BENCH_A_SAMPLES="" BENCH_B_SAMPLES=""
	for ((i = 0; i < reps; i++)); do
		# A B, then B A: each side goes first as often as the other.
		if ((i % 2 == 0)); then
			va=$(bench__one "$metric" "$ca" "$dir/$na.$i" "$ok") || return 1
			vb=$(bench__one "$metric" "$cb" "$dir/$nb.$i" "$ok") || return 1
		else
			vb=$(bench__one "$metric" "$cb" "$dir/$nb.$i" "$ok") || return 1
			va=$(bench__one "$metric" "$ca" "$dir/$na.$i" "$ok") || return 1
		fi
		BENCH_A_SAMPLES="$BENCH_A_SAMPLES${BENCH_A_SAMPLES:+ }$va"
		BENCH_B_SAMPLES="$BENCH_B_SAMPLES${BENCH_B_SAMPLES:+ }$vb"
	done
	BENCH_A=$(tr ' ' '\n' <<<"$BENCH_A_SAMPLES" | bench_median)
	BENCH_B=$(tr ' ' '\n' <<<"$BENCH_B_SAMPLES" | bench_median)
	BENCH_RATIO=$(bench_ratio "$BENCH_A" "$BENCH_B")
	echo "$na/$nb $unit = $BENCH_RATIO"
	echo "#   $na: median $BENCH_A ($BENCH_A_SAMPLES)" >&2
	echo "#   $nb: median $BENCH_B ($BENCH_B_SAMPLES)" >&2
	if [ -n "${BENCH_MD:-}" ]; then
		bench_md_row "$label" "$unit" "$na" "$BENCH_A" "$nb" "$BENCH_B" \
			"$BENCH_RATIO" "$reps" "$ca" "$cb" >>"$BENCH_MD"
	fi
	[ -n "${BENCH_LOG:-}" ] || rm -rf "$dir"
	return 0
}

bench_md_header() {
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -sr), $(nproc) CPUs" \
		"(medians of interleaved runs; ratio = first / second):"
	echo
	echo "| Benchmark | Figure | First (median) | Second (median) | Ratio | Runs | Commands |"
	echo "|---|---|---|---|---|---|---|"
}

# Pipes in commands would break the table: they are escaped.
bench_md_row() {
	local ca=${9//|/\\|} cb=${10//|/\\|}
	printf '| %s | %s | %s %s | %s %s | **%s/%s %s = %s** | %s | `%s` vs `%s` |\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$3" "$5" "$2" "$7" "$8" "$ca" "$cb"
}
