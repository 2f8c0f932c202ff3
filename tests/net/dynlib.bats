#!/usr/bin/env bats
# libpcap, libcrypto and readline are loaded at run time, by the
# subcommands that use them (lib/dynlib.h): with the libraries hidden,
# everything else still runs, and those that need one name it in one line
# and exit 2. Each command runs in its own mount and network namespaces
# (loopback only) where the library files read as empty. Runs as root.

setup() {
	BUILDDIR=${ECHOLOT_BUILDDIR:-$BATS_TEST_DIRNAME/../../build}
	ECHOLOT=${ECHOLOT:-$BUILDDIR/echolot}
}

# The soname configure recorded for a config.h define ($1).
soname() {
	sed -n "s/^#define $1 \"\(.*\)\"$/\1/p" "$BUILDDIR/config.h"
}

# The files the loader finds for that soname, one a line.
lib_files() {
	local so
	so=$(soname "$1")
	[ -n "$so" ] || return 1
	ldconfig -p | awk -v so="$so" '$1 == so { print $NF }'
}

# without "FILES" CMD...: CMD where each of FILES reads as an empty file.
without() {
	local hide=$1
	shift
	unshare -mn sh -c 'for f in $0; do mount --bind /dev/null "$f" || exit 99; done
		ip link set lo up && exec "$@"' "$hide" "$@"
}

# One line, exit 2, naming the soname: "echolot SUB: cannot load SO: ...".
one_line_error() {
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "echolot $1: cannot load $2: "* ]]
}

@test "ldd: echolot links none of libpcap, libcrypto, readline (nor dbus, systemd)" {
	run ldd "$ECHOLOT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *libpcap* && $output != *libcrypto* ]]
	[[ $output != *libreadline* && $output != *libdbus* ]]
	[[ $output != *libsystemd* ]]
}

@test "without libpcap, libcrypto and readline: ping and shell -c run" {
	all="$(lib_files ECHOLOT_PCAP_SONAME) $(lib_files ECHOLOT_CRYPTO_SONAME) $(lib_files ECHOLOT_READLINE_SONAME)"
	[ "$(wc -w <<<"$all")" -ge 3 ]
	run without "$all" "$ECHOLOT" ping -c 1 -q 127.0.0.1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"1 packets transmitted, 1 received"* ]]
	run without "$all" "$ECHOLOT" shell -c "ping -c 1 -q 127.0.0.1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"1 packets transmitted, 1 received"* ]]
}

@test "without libcrypto or libpcap, nep-server and nep-client name the library (one line, exit 2)" {
	pcap=$(lib_files ECHOLOT_PCAP_SONAME)
	crypto=$(lib_files ECHOLOT_CRYPTO_SONAME)
	[ -n "$pcap" ] && [ -n "$crypto" ]
	# the server loads libcrypto last, after its privilege drop
	run without "$crypto" "$ECHOLOT" nep-server --passphrase pw
	one_line_error nep-server "$(soname ECHOLOT_CRYPTO_SONAME)"
	run without "$pcap $crypto" "$ECHOLOT" nep-server --passphrase pw
	one_line_error nep-server "$(soname ECHOLOT_PCAP_SONAME)"
	run without "$pcap" "$ECHOLOT" nep-server --no-crypto
	one_line_error nep-server "$(soname ECHOLOT_PCAP_SONAME)"
	run without "$pcap" "$ECHOLOT" nep-client --no-crypto 127.0.0.1 -c 1
	one_line_error nep-client "$(soname ECHOLOT_PCAP_SONAME)"
	run without "$crypto" "$ECHOLOT" nep-client --passphrase pw 127.0.0.1 -c 1
	one_line_error nep-client "$(soname ECHOLOT_CRYPTO_SONAME)"
}

@test "without readline, the interactive shell names it (one line, exit 2)" {
	rl=$(lib_files ECHOLOT_READLINE_SONAME)
	[ -n "$rl" ]
	# script(1) gives the shell a terminal, which makes it interactive.
	run without "$rl" script -qec "$ECHOLOT shell" /dev/null </dev/null
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
	one_line_error shell "$(soname ECHOLOT_READLINE_SONAME)"
}
