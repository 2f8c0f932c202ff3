#!/usr/bin/env bats
# Man pages and completion files against the option tables: every option
# of every subcommand (read from `echolot --generate options`, so a
# subcommand added to cmd/commands.c is covered without editing this file)
# must appear in its man page and in each completion file; pages lint clean.

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
	SRCDIR=${ECHOLOT_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	BUILDDIR=${ECHOLOT_BUILDDIR:-$(dirname "$ECHOLOT")}
}

subcommands() {
	"$ECHOLOT" --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1}'
}

# "SUB|SHORT|LONG|KIND|VALUES|FLAGS" for every option ('|' because read
# would merge empty tab-separated fields).
options() {
	"$ECHOLOT" --generate options |
		awk -F'\t' '$1 == "option" {print $2 "|" $3 "|" $4 "|" $5 "|" $7 "|" $9}'
}

# The page as a reader sees it: no hyphenation, long lines, plain ASCII.
render() {
	groff -man -Tascii -rHY=0 -rLL=200n -P-cbou "$1" 2>/dev/null
}

@test "--generate options lists exactly the subcommands of --help, each with -h/--help" {
	listed=$(subcommands | sort)
	[ -n "$listed" ]
	dumped=$("$ECHOLOT" --generate options | awk -F'\t' '$1 == "command" {print $2}' | sort)
	[ "$listed" = "$dumped" ]
	while read -r sub; do
		options | grep -q "^$sub|h|help|flag|"
		# and the help text agrees with the parser's --help
		while IFS='|' read -r s short long kind values flags; do
			[ "$s" = "$sub" ] || continue
			help=$("$ECHOLOT" "$sub" --help)
			if [ -n "$long" ]; then grep -q -- "--$long" <<<"$help"; fi
			if [ -n "$short" ]; then grep -q -- "-$short" <<<"$help"; fi
		done < <(options)
	done < <(subcommands)
}

@test "--generate rejects an unknown document or subcommand with one line, exit 2" {
	run "$ECHOLOT" --generate bogus
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "echolot: --generate: unknown document 'bogus'"* ]]
	run bash -c "echo @OPTIONS@ | '$ECHOLOT' --generate man nosuchcmd"
	[ "$status" -eq 2 ]
	[ "$output" = "echolot: --generate man: unknown subcommand 'nosuchcmd'" ]
	# and it stays out of the user's --help
	run "$ECHOLOT" --help
	[[ "$output" != *generate* ]]
}

@test "--generate man replaces the marker lines and keeps every other line" {
	sub=$(subcommands | head -n1)
	out=$(printf '.TH X 1 "" "echolot @VERSION@"\n.SH NAME\nkeep me\n@OPTIONS@\n.SH AFTER\n' |
		"$ECHOLOT" --generate man "$sub")
	version=$("$ECHOLOT" --version | cut -d' ' -f2)
	[ "$(sed -n 1p <<<"$out")" = ".TH X 1 \"\" \"echolot $version\"" ]
	grep -qx 'keep me' <<<"$out"
	grep -qx '.SH OPTIONS' <<<"$out"
	grep -qx '.SH AFTER' <<<"$out"
	! grep -q '@OPTIONS@' <<<"$out"
	n=$(options | awk -F'|' -v s="$sub" '$1 == s' | wc -l)
	[ "$(grep -c '^\.TP$' <<<"$out")" -eq "$n" ]
	run bash -c "echo @OPTIONS@ | '$ECHOLOT' --generate man"
	[ "$status" -eq 2 ]
}

@test "every subcommand has a man page, and echolot.1 lists them all" {
	[ -f "$BUILDDIR/man/echolot.1" ]
	page=$(render "$BUILDDIR/man/echolot.1")
	while read -r sub; do
		[ -f "$BUILDDIR/man/echolot-$sub.1" ] || {
			echo "no man page for $sub: write man/echolot-$sub.1.in (see man/README)"
			return 1
		}
		grep -q "echolot-$sub(1)" <<<"$page"
		# dashes in the title may be escaped (ECHOLOT\-NEP\-CLIENT)
		head -n 20 "$BUILDDIR/man/echolot-$sub.1" | grep '^\.TH' |
			tr -d '\\' | grep -qi "^\.TH ECHOLOT-$sub 1" || {
			echo "echolot-$sub.1: no '.TH ECHOLOT\\-$sub 1' line"
			return 1
		}
	done < <(subcommands)
}

@test "every option of every table, and every enum value, is in its man page" {
	while IFS='|' read -r sub short long kind values flags; do
		page=$(render "$BUILDDIR/man/echolot-$sub.1")
		[ -n "$page" ]
		if [ -n "$long" ]; then
			grep -q -- "--$long\\b" <<<"$page" || {
				echo "echolot-$sub.1 lacks --$long"; return 1; }
		fi
		if [ -n "$short" ]; then
			grep -Eq -- "(^|[^[:alnum:]-])-$short([^[:alnum:]-]|$)" <<<"$page" || {
				echo "echolot-$sub.1 lacks -$short"; return 1; }
		fi
		for v in $values; do
			grep -qw -- "$v" <<<"$page" || {
				echo "echolot-$sub.1 lacks value $v of --$long"; return 1; }
		done
	done < <(options)
}

@test "every man page lints clean: groff -man -ww -z prints nothing" {
	n=0
	for p in "$BUILDDIR"/man/*.1; do
		run groff -man -ww -z "$p"
		[ "$status" -eq 0 ]
		[ -z "$output" ] || { echo "$p: $output"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}

@test "every option of every table is in each completion file" {
	comp=$BUILDDIR/completions
	while IFS='|' read -r sub short long kind values flags; do
		id=${sub//-/_}
		bash_fn=$(sed -n "/^_echolot_$id()/,/^}/p" "$comp/echolot.bash")
		zsh_fn=$(sed -n "/^_echolot_$id() {/,/^}/p" "$comp/_echolot")
		fish_lines=$(grep -F "'__echolot_using $sub'" "$comp/echolot.fish")
		if [ -n "$long" ]; then
			grep -q -- "--$long " <<<"$bash_fn"
			grep -q -- "--$long[]=[}]" <<<"$zsh_fn"
			grep -q -- " -l $long " <<<"$fish_lines"
		fi
		if [ -n "$short" ]; then
			grep -q -- " -$short " <<<"$bash_fn"
			grep -q -- "-$short[+[,]" <<<"$zsh_fn"
			grep -q -- " -s $short " <<<"$fish_lines"
		fi
		for v in $values; do
			grep -qw -- "$v" <<<"$bash_fn"
			grep -qw -- "$v" <<<"$zsh_fn"
			grep -qw -- "$v" <<<"$fish_lines"
		done
	done < <(options)
	# and every subcommand is offered at the top level
	while read -r sub; do
		grep -q "complete -F _echolot .* echolot-$sub\\b" "$comp/echolot.bash"
		grep -q "^#compdef .*echolot-$sub\\b" "$comp/_echolot"
		grep -q "__echolot_needs_sub -a $sub " "$comp/echolot.fish"
	done < <(subcommands)
}

@test "make install puts completions and man pages where the shells and man look" {
	dest=$(mktemp -d)
	make -s -C "$BUILDDIR" install DESTDIR="$dest" >/dev/null
	# the directories configure chose (bash-completion's own, or under the
	# prefix) end in the names the shells and man search
	dirof() { find "$dest" -path "*/$1" | head -n1 | sed "s|^$dest||; s|/[^/]*\$||"; }
	bashcomp=$(dirof 'bash-completion/completions/echolot')
	zshcomp=$(dirof 'zsh/vendor-completions/_echolot')
	fishcomp=$(dirof 'fish/vendor_completions.d/echolot.fish')
	man1=$(dirof 'man/man1/echolot.1')
	[ -n "$bashcomp" ] && [ -n "$zshcomp" ] && [ -n "$fishcomp" ] && [ -n "$man1" ]
	[ -f "$dest$bashcomp/echolot" ]
	[ -f "$dest$zshcomp/_echolot" ]
	[ -f "$dest$fishcomp/echolot.fish" ]
	[ -f "$dest$man1/echolot.1" ]
	while read -r sub; do
		[ -L "$dest$bashcomp/echolot-$sub" ]
		[ -L "$dest$fishcomp/echolot-$sub.fish" ]
		[ -f "$dest$man1/echolot-$sub.1" ]
	done < <(subcommands)
	cmp "$dest$bashcomp/echolot" "$BUILDDIR/completions/echolot.bash"
	make -s -C "$BUILDDIR" uninstall DESTDIR="$dest" >/dev/null
	[ -z "$(find "$dest" -type f -o -type l)" ]
	rm -rf "$dest"
}
