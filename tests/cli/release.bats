#!/usr/bin/env bats
# Releasing: `make distcheck` passes from a fresh build directory, and the
# tarball holds every file of the source tree, so a file someone forgot to
# add to EXTRA_DIST fails here even when distcheck cannot notice it.

setup() {
	SRCDIR=$(cd "${ECHOLOT_SRCDIR:-$BATS_TEST_DIRNAME/../..}" && pwd)
	B=$BATS_TEST_TMPDIR/build
	mkdir -p "$B"
}

# The source files: git's list in a checkout, else (an unpacked tarball)
# every file that is not a build product.
source_files() {
	if git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$SRCDIR" ls-files
	else
		(cd "$SRCDIR" && find . -type f ! -path './build*' \
			! -path './autom4te.cache/*' ! -name '*~' | sed 's|^\./||')
	fi | grep -Ev '^(\.gitignore|\.github/.*)$' | sort
}

@test "make dist: the tarball holds every source file" {
	(cd "$B" && "$SRCDIR/configure" -q && make -s dist) >"$B/log" 2>&1 ||
		{ cat "$B/log"; false; }
	tarball=$(ls "$B"/echolot-*.tar.gz)
	tar -tzf "$tarball" | sed 's|^[^/]*/||' | grep -v '/$' | sort >"$B/in-tar"
	source_files >"$B/in-tree"
	[ "$(wc -l <"$B/in-tree")" -gt 10 ]
	missing=$(comm -23 "$B/in-tree" "$B/in-tar")
	echo "not in the tarball: $missing"
	[ -z "$missing" ]
}

@test "make distcheck passes from a fresh build directory" {
	cd "$B"
	"$SRCDIR/configure" -q >"$B/log" 2>&1 || { cat "$B/log"; false; }
	# The bats suites run in tests/run already, and the test above shows
	# their files are all in the tarball; inside distcheck the unit and
	# fuzz suites show that the tarball builds and tests (and a flaky
	# bats test elsewhere cannot fail the release check twice).
	ECHOLOT_CHECK_SUITES="unit fuzz" timeout 600 make -j2 distcheck \
		>"$B/log" 2>&1 || { tail -60 "$B/log"; false; }
	grep -q 'archives ready for distribution' "$B/log"
	# the check inside distcheck really ran tests, and all passed
	grep -Eq '^[1-9][0-9]* passed, 0 failed$' "$B/log"
}
