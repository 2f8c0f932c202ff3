#!/usr/bin/env bats
# nep-client and nep-server option handling: every bad input is one line
# naming the problem on stderr and exit status 2, before any socket opens.

setup() {
	ECHOLOT=${ECHOLOT:-$BATS_TEST_DIRNAME/../../build/echolot}
}

# Runs echolot with stdout and stderr apart: $output is stderr.
err_of() {
	run sh -c '"$@" 2>&1 >/dev/null' sh "$ECHOLOT" "$@"
}

@test "nep-client --help lists the nping-compatible options" {
	run "$ECHOLOT" nep-client --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: echolot nep-client [options] HOST" ]]
	for o in --passphrase --echo-port --no-crypto --tcp --udp --icmp --dest-port --ttl --tos --id --df --win --seq --flags --data-length --data-string --count --delay --rate --json; do
		[[ $output == *"$o"* ]]
	done
}

@test "nep-server --help lists its options" {
	run "$ECHOLOT" nep-server --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: echolot nep-server [options]" ]]
	for o in --passphrase --echo-port --no-crypto --once --interface --max-clients --safe-payloads --include-payloads; do
		[[ $output == *"$o"* ]]
	done
}

@test "nep-client: usage errors are one line and exit 2" {
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		err_of nep-client $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "echolot nep-client: "*"$want"* ]]
	done <<'ROWS'
--passphrase x|no HOST given
127.0.0.1|a passphrase is needed
--no-crypto --data-length 4 --data-string ab 127.0.0.1|--data-length and --data-string exclude each other
--no-crypto --icmp -p 80 127.0.0.1|ICMP probes have no ports
--no-crypto --tcp -p 9929 127.0.0.1|TCP probes cannot use the echo port 9929
--no-crypto --flags SYNX 127.0.0.1|--flags: 'SYNX' is not a set of TCP flags
--no-crypto --ttl 0 127.0.0.1|--ttl
--no-crypto --echo-port 0 127.0.0.1|--echo-port
--no-crypto -c 0 127.0.0.1|--count
--no-crypto --data-length 5000 127.0.0.1|--data-length
--no-crypto -6 --icmp ::1|ICMP probes are IPv4 only
--no-crypto 127.0.0.1 127.0.0.2|only one HOST
--no-crypto --passphras x 127.0.0.1|--passphrase
ROWS
}

@test "nep-server: usage errors are one line and exit 2" {
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		err_of nep-server $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "echolot nep-server: "*"$want"* ]]
	done <<'ROWS'
--once|a passphrase is needed
--no-crypto -4 -6|-4 and -6 exclude each other
--no-crypto --max-clients 0|--max-clients
--no-crypto --echo-port 70000|--echo-port
--no-crypto stray|unexpected argument 'stray'
--no-crypto --handshake-timeout soon|--handshake-timeout
ROWS
}

@test "the nping spellings are accepted: --ec/--es, --ep, --nc" {
	run "$ECHOLOT" nep-client --ec x --ep 9930 --nc --count 0 127.0.0.1
	[ "$status" -eq 2 ]
	[[ $output == *"--count"* ]]
	run "$ECHOLOT" nep-server --es x --ep 9930 --nc -4 -6
	[ "$status" -eq 2 ]
	[[ $output == *"-4 and -6 exclude each other"* ]]
}
