# tests/cli/tmux.bash - drive a program in a pseudo-terminal with tmux, as a
# person would: type keys, read the screen. `load tmux` in a .bats file.
# Each test gets its own tmux server (socket), removed by tmux_stop.

tm() {
	tmux -L "$TMUX_SOCK" -f /dev/null "$@"
}

# tmux_start CMD: runs CMD (a shell command line) in a 160x40 terminal.
tmux_start() {
	# a new server each time: a killed one may still be exiting
	TMUX_SOCK="echolot-$$-${BATS_TEST_NUMBER:-0}-$RANDOM$RANDOM"
	tm new-session -d -x 160 -y 40 "$1"
}

# The screen and its scrollback; wrapped lines joined.
tmux_screen() {
	tm capture-pane -p -J -S -300
}

# tmux_wait ERE [SECONDS]: waits until the screen matches (at most SECONDS,
# default 10); on failure shows the screen.
tmux_wait() {
	local i limit=$((${2:-10} * 20))
	for ((i = 0; i < limit; i++)); do
		tmux_screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	echo "# the screen never matched: $1"
	tmux_screen | grep . | sed 's/^/#   /'
	return 1
}

# tmux_wait_last ERE [SECONDS]: the same for the last non-empty line only
# (where the cursor is: a fresh prompt, not an older one).
tmux_wait_last() {
	local i limit=$((${2:-10} * 20))
	for ((i = 0; i < limit; i++)); do
		tmux_screen | grep . | tail -n 1 | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	echo "# the last line never matched: $1"
	tmux_screen | grep . | sed 's/^/#   /'
	return 1
}

# tmux_type TEXT: types TEXT literally; tmux_key KEY...: named keys.
tmux_type() {
	tm send-keys -l -- "$1"
}

tmux_key() {
	tm send-keys "$@"
}

tmux_stop() {
	local i
	[ -n "${TMUX_SOCK:-}" ] || return 0
	tm kill-server 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		tm has-session 2>/dev/null || break
		sleep 0.05
	done
	TMUX_SOCK=
}
