#!/usr/bin/env bats
# The dispatcher: help, version, busybox-style links, unknown names, exit
# codes. Subcommands are read from `echolot --help`, so the test follows
# the table in cmd/commands.c.

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	SRCDIR=${ECHOLOT_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$(dirname "$ECHOLOT")}
}

subcommands() {
	"$ECHOLOT" --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1}'
}

@test "--help lists subcommands with one-line summaries and exits 0" {
	run "$ECHOLOT" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: echolot SUBCOMMAND [options]" ]]
	n=$(subcommands | wc -l)
	[ "$n" -ge 1 ]
	# every listed line has a name and a summary
	while read -r name; do
		grep -Eq "^  $name +[A-Za-z].{10,}" <<<"$output"
	done < <(subcommands)
}

@test "-h is --help" {
	diff <("$ECHOLOT" -h) <("$ECHOLOT" --help)
}

@test "--version prints the version configure was given" {
	want=$(sed -n 's/^AC_INIT(\[echolot\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
	[ -n "$want" ]
	run "$ECHOLOT" --version
	[ "$status" -eq 0 ]
	[ "$output" = "echolot $want" ]
}

@test "every subcommand has --help that starts with its usage" {
	while read -r name; do
		run "$ECHOLOT" "$name" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: echolot $name "* ]]
		grep -q -- '-h, --help' <<<"$output"
	done < <(subcommands)
}

@test "unknown subcommand: one line naming it and the closest name, exit 2" {
	first=$(subcommands | head -n1)
	typo="${first:1:1}${first:0:1}${first:2}"   # swap the first two letters
	run "$ECHOLOT" "$typo"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "echolot: unknown subcommand '$typo' (did you mean '$first'?)" ]
}

@test "unknown subcommand far from any name: no suggestion, exit 2" {
	run "$ECHOLOT" zzzzqqqq
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "echolot: unknown subcommand 'zzzzqqqq' (see 'echolot --help')" ]
}

@test "prefixes are not accepted as subcommands" {
	first=$(subcommands | head -n1)
	run "$ECHOLOT" "${first:0:2}"
	[ "$status" -eq 2 ]
}

@test "unknown top-level option: one line, exit 2" {
	run "$ECHOLOT" --bogus
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "echolot: unknown option '--bogus' (see 'echolot --help')" ]
}

@test "unknown subcommand option: one line naming it, exit 2" {
	while read -r name; do
		run "$ECHOLOT" "$name" --no-such-option-here
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "echolot $name: unknown option '--no-such-option-here'"* ]]
	done < <(subcommands)
}

@test "no arguments and no terminal: usage on stderr, exit 2" {
	run bash -c "'$ECHOLOT' </dev/null 2>&1 >/dev/null"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "Usage: echolot SUBCOMMAND [options]" ]]
	run bash -c "'$ECHOLOT' </dev/null 2>/dev/null"
	[ -z "$output" ]
}

@test "make install creates a working echolot-SUBCOMMAND link for each subcommand" {
	dest=$(mktemp -d)
	make -s -C "$BUILDDIR" install DESTDIR="$dest" >/dev/null
	bindir=$(find "$dest" -type f -name echolot -path '*/bin/*' | head -n1)
	[ -n "$bindir" ]
	bindir=$(dirname "$bindir")
	while read -r name; do
		[ -L "$bindir/echolot-$name" ]
		run "$bindir/echolot-$name" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: echolot-$name "* ]]
	done < <(subcommands)
	rm -rf "$dest"
}

@test "a link named after no subcommand fails with one line, exit 2" {
	dir=$(mktemp -d)
	ln -s "$ECHOLOT" "$dir/echolot-bogus"
	run "$dir/echolot-bogus" --help
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "echolot: unknown subcommand 'bogus'"* ]]
	rm -rf "$dir"
}

@test "the Makefile installs links for exactly the listed subcommands" {
	listed=$(subcommands | sort | tr '\n' ' ')
	declared=$(sed -n 's/^SUBCOMMANDS *+\{0,1\}= *//p' "$SRCDIR/Makefile.am" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
	[ "$listed" = "$declared" ]
}
