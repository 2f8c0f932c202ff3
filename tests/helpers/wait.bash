# wait.bash - sourced by bats files: wait for a condition instead of a
# fixed sleep (a fixed sleep loses the race on a loaded machine).

# wait_listen tcp|udp PORT: until something listens on PORT (10 s at most).
wait_listen() {
	local opt=-Hltn i
	[ "$1" = udp ] && opt=-Hlun
	for i in $(seq 200); do
		[ -n "$(ss $opt "sport = :$2")" ] && return 0
		sleep 0.05
	done
	echo "nothing listens on $1 port $2" >&2
	return 1
}
