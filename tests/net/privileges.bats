#!/usr/bin/env bats
# What a running echolot keeps after start-up, read from /proc/PID/status:
# every long-running subcommand started as root (ping ICMP and --tcp,
# trace --report, echo --serve, nep-server) and ping run as nobody from a
# copy with file capabilities (what `make install` with --enable-setcap
# does) must hold no capability (CapEff, CapPrm, CapInh, CapAmb all 0) and
# have no-new-privs set. Traffic: loopback only. Runs as root.

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	PIDS=()
	WORK=$(mktemp -d /tmp/echolot-priv.XXXXXX)
	chmod 755 "$WORK"
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}

# Starts "$@" in the background with its output in $WORK/out.
start_bg() {
	"$@" >"$WORK/out" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# Waits until PID has set no-new-privs (the last step of lib/priv's drop),
# then prints its Uid, Cap* and NoNewPrivs lines.
status_after_drop() {
	local pid=$1 f=/proc/$1/status
	for _ in $(seq 100); do
		[ -r "$f" ] || break
		grep -q '^NoNewPrivs:[[:space:]]*1' "$f" && break
		sleep 0.05
	done
	grep -E '^(Uid|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' "$f"
}

# Asserts the status lines in $output: no capability, no-new-privs set.
assert_no_privs() {
	echo "$output"
	local k
	for k in CapInh CapPrm CapEff CapAmb; do
		echo "$output" | grep -Eq "^$k:[[:space:]]+0000000000000000$"
	done
	echo "$output" | grep -Eq '^NoNewPrivs:[[:space:]]+1$'
}

@test "ping (ICMP, as root) holds no capability and sets no-new-privs" {
	start_bg "$ECHOLOT" ping -c 50 -i 0.2 127.0.0.1
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
	# and it still pings with what it opened before the drop
	sleep 0.5
	grep -q 'bytes from 127.0.0.1' "$WORK/out"
}

@test "ping --tcp (raw socket, as root) holds no capability and sets no-new-privs" {
	start_bg "$ECHOLOT" ping --tcp -P 1 -c 50 -i 0.2 127.0.0.1
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
	sleep 0.5
	grep -q 'RST from 127.0.0.1 port 1' "$WORK/out"
}

@test "trace --report (as root) holds no capability and sets no-new-privs" {
	start_bg "$ECHOLOT" trace -n --report -c 30 -i 0.3 127.0.0.1
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
}

@test "echo --serve (as root) runs as nobody with no capability and no-new-privs" {
	start_bg "$ECHOLOT" echo --serve --listen 127.0.0.1:40707
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
	echo "$output" | grep -Eq '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$'
	# it still serves on the port it bound before the drop
	run "$ECHOLOT" echo -P 40707 -c 2 -i 0.1 127.0.0.1
	[ "$status" -eq 0 ]
}

@test "nep-server (as root, --user nobody) holds no capability and sets no-new-privs" {
	start_bg "$ECHOLOT" nep-server --no-crypto --echo-port 40929 -4 --user nobody
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
	echo "$output" | grep -Eq '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$'
}

@test "nep-server (as root, no --user) still drops every capability" {
	start_bg "$ECHOLOT" nep-server --no-crypto --echo-port 40930 -4
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
}

# The --enable-setcap install: the binary carries cap_net_raw (and
# cap_net_bind_service) and is run by an unprivileged user. ICMP datagram
# sockets are off for nobody here (ping_group_range), so a ping that works
# used the raw socket the file capability allowed, then dropped it.
@test "ping as nobody from a setcap copy works and keeps no capability" {
	cp "$ECHOLOT" "$WORK/echolot"
	chmod 755 "$WORK/echolot"
	# without the file capability nobody cannot send a TCP SYN probe
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$WORK/echolot" ping --tcp -P 1 -c 1 127.0.0.1
	echo "$output"
	[ "$status" -ne 0 ]
	setcap cap_net_raw,cap_net_bind_service+ep "$WORK/echolot"
	start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$WORK/echolot" ping --tcp -P 1 -c 50 -i 0.2 127.0.0.1
	run status_after_drop "$BG_PID"
	[ "$status" -eq 0 ]
	assert_no_privs
	echo "$output" | grep -Eq '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$'
	sleep 0.5
	cat "$WORK/out"
	grep -q 'RST from 127.0.0.1 port 1' "$WORK/out"
}

@test "ICMP ping as nobody from a setcap copy works and keeps no capability" {
	cp "$ECHOLOT" "$WORK/echolot"
	chmod 755 "$WORK/echolot"
	setcap cap_net_raw+ep "$WORK/echolot"
	start_bg runuser -u nobody -- "$WORK/echolot" ping -c 50 -i 0.2 127.0.0.1
	sleep 0.3
	# runuser's child is the echolot process
	local pid
	pid=$(pgrep -P "$BG_PID" | head -1)
	[ -n "$pid" ]
	run status_after_drop "$pid"
	[ "$status" -eq 0 ]
	assert_no_privs
	sleep 0.5
	cat "$WORK/out"
	grep -q 'bytes from 127.0.0.1' "$WORK/out"
}
