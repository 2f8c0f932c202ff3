#!/usr/bin/env bats
# echolot shell in a real pseudo-terminal (tmux): commands, prompt status,
# Ctrl-C, completion from the option tables, history across sessions; and
# the scripted (non-terminal) mode.

load tmux

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	command -v tmux >/dev/null || { echo "tmux is not installed (.ci/setup)"; return 1; }
	STATE=$(mktemp -d)
	export XDG_STATE_HOME=$STATE/xdg
	# The shell ends with "exit=N" on the screen, then waits for teardown.
	SHELL_CMD="env XDG_STATE_HOME=$XDG_STATE_HOME INPUTRC=/dev/null TERM=xterm '$ECHOLOT'"
}

teardown() {
	tmux_stop
	rm -rf "$STATE"
}

start_shell() {
	tmux_start "$SHELL_CMD ${1:-}; echo exit=\$?; sleep 60"
	tmux_wait '^echolot\[0\]> $'
}

# Long options of a subcommand as `echolot --generate options` has them.
long_options() {
	"$ECHOLOT" --generate options | awk -F'\t' -v s="$1" '$1 == "option" && $2 == s && $4 != "" {print "--" $4}'
}

@test "plain echolot on a terminal starts the shell; a builtin runs and the prompt shows the status" {
	start_shell
	tmux_type 'help'; tmux_key Enter
	tmux_wait '^Commands \(the same as'
	tmux_wait '^echolot\[0\]> $'
	tmux_type 'nosuchthing'; tmux_key Enter
	tmux_wait "unknown command 'nosuchthing'"
	tmux_wait '^echolot\[2\]> $'
	tmux_type 'help shell'; tmux_key Enter
	tmux_wait '^Usage: echolot shell \[options\]'
	tmux_wait '^echolot\[0\]> $'
	tmux_type 'exit 3'; tmux_key Enter
	tmux_wait '^exit=3$'
}

# The shell's pid, and the pid of the command it is running.
shell_pid() {
	pgrep -P "$(tm list-panes -F '#{pane_pid}')" -x echolot
}

child_pid() {
	pgrep -P "$(shell_pid)"
}

@test "ping -c 1 127.0.0.1 runs in a child and the prompt shows its status" {
	start_shell
	tmux_type 'ping -c 1 127.0.0.1'; tmux_key Enter
	tmux_wait '^1 packets transmitted, 1 received'
	tmux_wait_last '^echolot\[0\]> $'
	# a command that exits with an error leaves the shell running
	tmux_type 'ping --no-such-option 127.0.0.1'; tmux_key Enter
	tmux_wait "^echolot ping: unknown option '--no-such-option'"
	tmux_wait_last '^echolot\[2\]> $'
	# the same line works with "echolot" in front, as pasted from a shell
	tmux_type 'echolot ping -c 1 127.0.0.1'; tmux_key Enter
	tmux_wait_last '^echolot\[0\]> $'
	[ "$(tmux_screen | grep -c '^1 packets transmitted, 1 received')" -eq 2 ]
}

@test "Ctrl-C stops a running ping, which prints its summary, and the prompt returns" {
	start_shell
	tmux_type 'ping 127.0.0.1'; tmux_key Enter
	tmux_wait 'icmp_seq=2 '
	shell=$(shell_pid)
	tmux_key C-c
	tmux_wait '^--- 127\.0\.0\.1 ping statistics ---$'
	tmux_wait_last '^echolot\[[0-9]+\]> $'
	# the same shell process, and it still runs commands
	[ "$(shell_pid)" = "$shell" ]
	[ -z "$(child_pid)" ]
	tmux_type 'ping -c 1 127.0.0.1'; tmux_key Enter
	tmux_wait '^1 packets transmitted, 1 received'
	tmux_wait_last '^echolot\[0\]> $'
}

@test "a command that crashes never takes the shell down" {
	# under AddressSanitizer (tests/run asan) the SIGSEGV must stay one
	SHELL_CMD="env ASAN_OPTIONS=${ASAN_OPTIONS:-}:handle_segv=0 $SHELL_CMD"
	start_shell
	tmux_type 'ping 127.0.0.1'; tmux_key Enter
	tmux_wait 'icmp_seq=1 '
	shell=$(shell_pid)
	child=$(child_pid)
	[ -n "$child" ] && [ "$child" != "$shell" ]
	kill -SEGV "$child"
	tmux_wait '^echolot shell: ping: killed by signal 11 \(Segmentation fault\)$'
	tmux_wait_last '^echolot\[139\]> $'
	[ "$(shell_pid)" = "$shell" ]
	tmux_type 'help'; tmux_key Enter
	tmux_wait_last '^echolot\[0\]> $'
}

@test "quotes are honoured; a nested shell and an open quote are refused with status 2" {
	start_shell
	tmux_type "shell --no-such-option"; tmux_key Enter
	tmux_wait 'already in the shell'
	tmux_type "help 'shell'"; tmux_key Enter
	tmux_wait '^  -h, --help'
	tmux_type "echo 'unterminated"; tmux_key Enter
	tmux_wait 'unterminated quote'
	tmux_wait '^echolot\[2\]> $'
}

@test "Ctrl-C at the prompt drops the line and keeps the shell; Ctrl-D leaves with the last status" {
	start_shell
	tmux_type 'help half typed'
	tmux_key C-c
	tmux_wait '^echolot\[0\]> help half typed\^C$'
	tmux_wait '^echolot\[0\]> $'
	tmux_type 'bogus'; tmux_key Enter
	tmux_wait '^echolot\[2\]> $'
	tmux_key C-d
	tmux_wait '^exit=2$'
}

@test "vi editing mode from the user's inputrc; Ctrl-C works in it too" {
	printf 'set editing-mode vi\n' >"$STATE/inputrc"
	SHELL_CMD="env XDG_STATE_HOME=$XDG_STATE_HOME INPUTRC=$STATE/inputrc TERM=xterm '$ECHOLOT'"
	start_shell
	# insert "xhelp", Escape to command mode, "0x" deletes the first char
	tmux_type 'xhelp'; tmux_key Escape; tmux_type '0x'
	tmux_wait_last '^echolot\[0\]> help *$'
	tmux_key Enter
	tmux_wait '^Commands \(the same as'
	tmux_type 'bogus'; tmux_key C-c
	tmux_wait '^echolot\[0\]> bogus\^C$'
	tmux_wait_last '^echolot\[0\]> $'
}

@test "Tab completes a subcommand from its prefix, and 'SUB --<TAB><TAB>' lists the table's long options" {
	start_shell
	tmux_type 'sh'; tmux_key Tab
	tmux_wait '^echolot\[0\]> shell $'
	tmux_type '--'; tmux_key Tab Tab
	n=0
	for opt in $(long_options shell); do
		tmux_wait "(^| )$opt( |$)"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
	tmux_key C-c
	tmux_wait_last '^echolot\[[0-9]+\]> $'
	tmux_type 'help sh'; tmux_key Tab
	tmux_wait '^echolot\[0\]> help shell $'
	tmux_key C-c
	tmux_wait_last '^echolot\[[0-9]+\]> $'
	tmux_type 'his'; tmux_key Tab
	tmux_wait '^echolot\[0\]> history $'
}

@test "pi<TAB> completes ping; ping --<TAB><TAB> lists every long option of ping's table" {
	start_shell
	tmux_type 'pi'; tmux_key Tab
	tmux_wait_last '^echolot\[0\]> ping $'
	tmux_type '--'; tmux_key Tab Tab
	n=0
	for opt in $(long_options ping); do
		tmux_wait "(^| )$opt( |$)"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
	tmux_key C-c
	tmux_wait_last '^echolot\[0\]> $'
	tmux_type 'ping --cou'; tmux_key Tab
	tmux_wait_last '^echolot\[0\]> ping --count $'
}

@test "Tab completes enum values, hosts from /etc/hosts and hosts from the history" {
	start_shell
	# the values of the first enum option of ping's table
	read -r opt values < <("$ECHOLOT" --generate options |
		awk -F'\t' '$1 == "option" && $2 == "ping" && $5 == "choice" && $4 != "" {print "--" $4, $7; exit}')
	[ -n "$values" ]
	tmux_type "ping $opt "; tmux_key Tab Tab
	for v in $values; do
		tmux_wait "(^| )$v( |$)"
	done
	tmux_key C-c
	tmux_wait_last '^echolot\[0\]> $'
	grep -Eq '^127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts
	tmux_type 'ping -c 1 localh'; tmux_key Tab
	tmux_wait_last '^echolot\[0\]> ping -c 1 localhost $'
	tmux_key C-c
	# 127.0.0.77 is in no file: only the history can offer it
	! grep -q '127\.0\.0\.77' /etc/hosts
	tmux_type 'ping -c 1 127.0.0.77'; tmux_key Enter
	tmux_wait '^1 packets transmitted, 1 received'
	tmux_wait_last '^echolot\[0\]> $'
	tmux_type 'ping -q 127.0.0.7'; tmux_key Tab
	tmux_wait_last '^echolot\[0\]> ping -q 127\.0\.0\.77 $'
	tmux_key C-c
	# a line typed with "echolot" in front counts too
	tmux_type 'echolot ping -c 1 127.0.0.78'; tmux_key Enter
	tmux_wait_last '^echolot\[0\]> $'
	tmux_type 'ping -S 127.0.0.1 127.0.0.7'; tmux_key Tab Tab
	tmux_wait '^127\.0\.0\.77 +127\.0\.0\.78 *$'
}

@test "Tab completes file names for a file-kind option" {
	mkdir "$STATE/dir" && touch "$STATE/dir/histfile-one"
	start_shell
	tmux_type "shell --history-file $STATE/dir/histf"; tmux_key Tab
	tmux_wait "> shell --history-file $STATE/dir/histfile-one \$"
}

@test "history persists across two sessions in \$XDG_STATE_HOME/echolot/history" {
	start_shell
	tmux_type 'help shell'; tmux_key Enter
	tmux_wait '^Usage: echolot shell'
	tmux_type 'exit'; tmux_key Enter
	tmux_wait '^exit=0$'
	tmux_stop
	grep -qx 'help shell' "$XDG_STATE_HOME/echolot/history"
	[ "$(stat -c %a "$XDG_STATE_HOME/echolot")" = 700 ]

	start_shell
	tmux_key Up
	tmux_wait '^echolot\[0\]> exit$'
	tmux_key Up
	tmux_wait '^echolot\[0\]> help shell$'
	tmux_key C-c
	tmux_wait_last '^echolot\[[0-9]+\]> $'
	tmux_type 'history'; tmux_key Enter
	tmux_wait '^ +[0-9]+  help shell$'
	tmux_wait '^ +[0-9]+  history$'
}

@test "without XDG_STATE_HOME the history goes to ~/.local/state/echolot/history; --no-history keeps none" {
	SHELL_CMD="env -u XDG_STATE_HOME HOME=$STATE/home INPUTRC=/dev/null TERM=xterm '$ECHOLOT'"
	start_shell
	tmux_type 'help'; tmux_key Enter
	tmux_type 'exit'; tmux_key Enter
	tmux_wait '^exit=0$'
	grep -qx 'help' "$STATE/home/.local/state/echolot/history"
	tmux_stop
	SHELL_CMD="env XDG_STATE_HOME=$STATE/other INPUTRC=/dev/null TERM=xterm '$ECHOLOT' shell --no-history"
	start_shell
	tmux_type 'help'; tmux_key Enter
	tmux_type 'exit'; tmux_key Enter
	tmux_wait '^exit=0$'
	[ ! -e "$STATE/other/echolot/history" ]
}

@test "scripted stdin: one command per line, no prompt, exit status of the last command" {
	run bash -c "printf 'help\n# a comment\n\nhelp shell\n' | '$ECHOLOT' shell"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Commands (the same as"* ]]
	[[ "$output" == *"Usage: echolot shell [options]"* ]]
	[[ "$output" != *"echolot["* ]]
	run bash -c "printf 'nosuch\n' | '$ECHOLOT' shell 2>&1"
	[ "$status" -eq 2 ]
	[ "$output" = "echolot shell: unknown command 'nosuch' (try 'help')" ]
	run bash -c "printf 'nosuch\nhelp\n' | '$ECHOLOT' shell >/dev/null 2>&1"
	[ "$status" -eq 0 ]
	# exit ends the script: the lines after it never run
	run bash -c "printf 'exit 4\nhelp\n' | '$ECHOLOT' shell"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	run bash -c "printf 'exit 300\n' | '$ECHOLOT' shell 2>&1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"exit: '300' is not a status 0..255"* ]]
	# no history is written from a script
	[ ! -e "$XDG_STATE_HOME/echolot/history" ]
}

@test "scripted stdin runs ping; the status is the last command's" {
	run bash -c "printf 'ping -c 1 127.0.0.1\n' | '$ECHOLOT' shell"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 packets transmitted, 1 received"* ]]
	run bash -c "printf 'ping -c 1 127.0.0.1\nping --bogus\n' | '$ECHOLOT' shell 2>&1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"1 packets transmitted, 1 received"* ]]
	[[ "$output" == *"echolot ping: unknown option '--bogus'"* ]]
}

@test "-c LINE runs one line; bad options fail with one line, exit 2" {
	run "$ECHOLOT" shell -c 'help shell'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: echolot shell [options]" ]]
	run "$ECHOLOT" shell -c 'exit 9'
	[ "$status" -eq 9 ]
	# help lists every subcommand of the table (but itself) and the builtins
	run "$ECHOLOT" shell -c help
	[ "$status" -eq 0 ]
	while read -r sub; do
		[ "$sub" = shell ] && continue
		grep -Eq "^  $sub +[A-Za-z]" <<<"$output"
	done < <("$ECHOLOT" --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
	for b in help history 'exit \[STATUS\]'; do
		grep -Eq "^  $b +[a-z]" <<<"$output"
	done
	run "$ECHOLOT" shell -c 'help exit'
	[ "$status" -eq 0 ]
	[[ "$output" == "  exit [STATUS]  leave the shell"* ]]
	run "$ECHOLOT" shell -c 'help nope'
	[ "$status" -eq 2 ]
	[ "$output" = "echolot shell: help: no command 'nope'" ]
	run "$ECHOLOT" shell stray
	[ "$status" -eq 2 ]
	[ "$output" = "echolot shell: unexpected argument 'stray'" ]
	run "$ECHOLOT" shell --histroy-file x
	[ "$status" -eq 2 ]
	[[ "$output" == "echolot shell: unknown option '--histroy-file' (did you mean '--history-file'?)" ]]
}
