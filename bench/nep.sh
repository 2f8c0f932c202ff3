#!/bin/bash
# bench/nep.sh - NEP echo client/server: handshake time, echoed probes at
# rising rates, concurrent clients. echolot (client and server) side by
# side with nping 0.7.93 (client and server, --no-crypto: its crypto mode
# cannot finish a handshake with OpenSSL 3), in a 1-router namespace chain.
#
#   bench/nep.sh [--reps N] [--md FILE]
#
# Prints one line per figure (echolot vs nping); with --md appends a
# markdown table to FILE. Run as root after a build. Every command is
# bounded by a probe count and a timeout; traffic stays in the namespaces.
set -u
here=$(cd "$(dirname "$0")" && pwd)
reps=3
md=
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/nep.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
export ECHOLOT_BUILDDIR=${ECHOLOT_BUILDDIR:-$here/../build}
E=${ECHOLOT:-$ECHOLOT_BUILDDIR/echolot}
# shellcheck source=../tests/helpers/topo.sh
. "$here/../tests/helpers/topo.sh"
topo_up 1 || exit 1
S=$TOPO_SERVER4
rows=()

median() { sort -g | awk '{v[n++]=$1} END {if (!n) exit 1; print (n%2) ? v[(n-1)/2] : (v[n/2-1]+v[n/2])/2}'; }
# "median (min)" of numbers on stdin
medmin() { local v; v=$(cat); printf '%s (min %s)' "$(median <<<"$v")" "$(sort -g <<<"$v" | head -1)"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
row() { echo "$1: echolot $2 | nping $3"; rows+=("| $1 | $2 | $3 | $4 |"); }

wait_port() {
	local i
	for i in $(seq 1 50); do
		topo_exec server ss -ltnH "sport = :9929" | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}

server_echolot() { topo_bg server "$E" nep-server --no-crypto -q; SRV=$TOPO_LAST_PID; wait_port; }
server_nping() { topo_bg server nping --echo-server x --no-crypto -q; SRV=$TOPO_LAST_PID; wait_port; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$SRV/status" 2>/dev/null; }
stop_server() { topo_kill "$SRV"; sleep 0.3; }

# --- handshake: connect to READY (echolot reports it); nping: wall time
# of a one-probe run minus its fixed 1 s wait.
hs_e=() hs_n=()
server_echolot
for _ in $(seq "$reps"); do
	hs_e+=("$(topo_exec client timeout 20 "$E" nep-client --no-crypto "$S" -c 1 --json | jq -r .handshake_ms)")
done
stop_server
server_nping
for _ in $(seq "$reps"); do
	t0=$(now_ms)
	topo_exec client timeout 20 nping --echo-client x "$S" --no-crypto --udp -c 1 >/dev/null 2>&1
	t1=$(now_ms)
	hs_n+=("$(( t1 - t0 - 1000 ))")
done
stop_server
# with crypto: echolot only (nping 0.7.93 cannot finish one)
hs_c=()
topo_bg server "$E" nep-server --passphrase bench -q; SRV=$TOPO_LAST_PID; wait_port
for _ in $(seq "$reps"); do
	hs_c+=("$(topo_exec client timeout 20 "$E" nep-client --passphrase bench "$S" -c 1 --json | jq -r .handshake_ms)")
done
stop_server
row "handshake with crypto (ms, median of $reps)" \
	"$(printf '%s\n' "${hs_c[@]}" | medmin)" "fails (nping 0.7.93 + OpenSSL 3)" \
	"\`nep-client --passphrase P HOST -c 1 --json\` .handshake_ms; nping: \`nping --echo-client P HOST\` prints Handshake failed."
row "handshake (ms, median of $reps)" \
	"$(printf '%s\n' "${hs_e[@]}" | medmin)" \
	"$(printf '%s\n' "${hs_n[@]}" | medmin) (wall - 1 s)" \
	"\`nep-client --no-crypto HOST -c 1 --json\` .handshake_ms vs wall time of \`nping --echo-client x HOST --no-crypto -c 1\` - 1 s"

# --- echoed fraction at rising rates (2 s of probes each)
for rate in 1000 5000 10000; do
	n=$((rate * 2))
	server_echolot
	ee=$(topo_exec client timeout 60 "$E" nep-client --no-crypto "$S" -c "$n" --rate "$rate" --json | jq -r .stats.echoed)
	stop_server
	server_nping
	ne=$(topo_exec client timeout 60 nping --echo-client x "$S" --no-crypto --udp -c "$n" --rate "$rate" -q 2>/dev/null |
		sed -n 's/.*Echoed: \([0-9]*\).*/\1/p')
	stop_server
	row "echoed of $n UDP probes at $rate/s" "$ee" "${ne:-0}" \
		"\`nep-client --no-crypto HOST -c $n --rate $rate\` vs \`nping --echo-client x HOST --no-crypto --udp -c $n --rate $rate\`"
done

# --- concurrent clients, started together, 3 probes each
conc() { # $1 tool, $2 clients -> clients that got all 3 echoes
	local tool=$1 k=$2 i pids=() dir
	dir=$(mktemp -d)
	for i in $(seq "$k"); do
		if [ "$tool" = echolot ]; then
			topo_exec client timeout 60 "$E" nep-client --no-crypto "$S" -g $((2000 + i)) -c 3 --delay 300ms >"$dir/$i" 2>&1 &
		else
			topo_exec client timeout 60 nping --echo-client x "$S" --no-crypto --udp -g $((2000 + i)) -c 3 --delay 300ms >"$dir/$i" 2>&1 &
		fi
		pids+=($!)
	done
	wait "${pids[@]}"
	grep -l 'Echoed: 3 ' "$dir"/* 2>/dev/null | wc -l
	rm -rf "$dir"
}
for k in 10 50 100; do
	server_echolot
	ce=$(conc echolot "$k")
	me=$(hwm)
	stop_server
	server_nping
	cn=$(conc nping "$k")
	mn=$(hwm)
	stop_server
	row "server peak RSS after $k clients (KiB)" "$me" "$mn" "VmHWM of the server process"
	row "clients served when $k start together (all 3 echoes)" "$ce" "$cn" \
		"$k × \`nep-client --no-crypto HOST -g PORT -c 3 --delay 300ms\` vs $k × \`nping --echo-client x HOST --no-crypto --udp -g PORT -c 3 --delay 300ms\`"
done
topo_cleanup

if [ -n "$md" ]; then
	{
		echo
		echo "### nep-client / nep-server ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), 1-router namespace chain, bench/nep.sh --reps $reps)"
		echo
		echo "| Figure | echolot (client+server) | nping 0.7.93 (client+server) | Commands |"
		echo "|---|---|---|---|"
		printf '%s\n' "${rows[@]}"
	} >>"$md"
fi
