/*
 * loop - a small epoll event loop with timers and signals.
 *
 * One loop per process (or per thread); callbacks run on the loop's thread.
 * Timers live in a fixed-capacity binary heap allocated once at init, so a
 * long run never allocates per event. Signals arrive through a signalfd, so
 * no code runs in a signal handler at all.
 */
#ifndef ECHOLOT_LOOP_H
#define ECHOLOT_LOOP_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events,
			   void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *arg);

struct loop_timer {
	int64_t when_ns; /* CLOCK_MONOTONIC deadline */
	uint64_t id;
	loop_timer_fn fn;
	void *arg;
};

/* The fd callbacks; a slot per registered descriptor, indexed by fd. */
struct loop_fd_slot {
	loop_fd_fn fn;
	void *arg;
};

/* How many descriptors loop_add_fd_polled takes (a ping run's sockets). */
#define LOOP_MAX_POLLED 4

struct loop {
	int epfd;
	int sigfd;
	loop_signal_fn sig_fn;
	void *sig_arg;
	struct loop_timer *timers;
	size_t ntimers, timer_cap;
	uint64_t next_id;
	struct loop_fd_slot *slots;
	size_t nslots;
	struct pollfd polled[LOOP_MAX_POLLED]; /* see loop_add_fd_polled */
	size_t npolled;
	bool stop;
	bool no_pwait2; /* epoll_pwait2 said ENOSYS once: do not ask again */
	int64_t spin_ns; /* see loop_set_spin; 0 = always sleep */
	bool (*spin_ok)(void *arg);
	void *spin_arg;
	int status; /* set by loop_stop(), returned by loop_run() */
};

/* The current CLOCK_MONOTONIC time in nanoseconds. */
int64_t loop_now_ns(void);

/* Allocates the timer heap (timer_cap entries) and fd slots (max_fds).
 * Returns 0 or -1 with errno. */
int loop_init(struct loop *l, size_t timer_cap, size_t max_fds);
void loop_free(struct loop *l);

/* events: EPOLLIN/EPOLLOUT/... Returns 0 or -1 with errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *arg);
/*
 * As loop_add_fd, but the fd is watched with ppoll only while the loop
 * waits, next to the epoll fd, instead of being kept in the epoll set.
 * An fd in an epoll set carries a wait-queue entry that the kernel calls
 * for every packet queued to it and every sent packet it frees; a flood
 * that finds its reply already queued and never waits pays that twice per
 * probe for nothing. At most LOOP_MAX_POLLED fds (else -1, EMFILE).
 */
int loop_add_fd_polled(struct loop *l, int fd, uint32_t events,
		       loop_fd_fn fn, void *arg);
/* Both work on either kind of fd. */
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
int loop_del_fd(struct loop *l, int fd);

/* Schedules fn at when_ns (CLOCK_MONOTONIC). Returns an id > 0, or 0 when
 * the heap is full. */
uint64_t loop_timer_at(struct loop *l, int64_t when_ns, loop_timer_fn fn,
		       void *arg);
/* Cancels a pending timer; false when it already ran or never existed. */
bool loop_timer_cancel(struct loop *l, uint64_t id);

/* Delivers the given signals to fn through a signalfd (they are blocked
 * for normal delivery). Returns 0 or -1 with errno. */
int loop_signals(struct loop *l, const int *signals, size_t n,
		 loop_signal_fn fn, void *arg);

/*
 * Busy-waiting: while the loop would sleep at most within_ns (until the
 * next timer or the caller's limit) and ok(arg) agrees (ok may be NULL),
 * it polls its fds without blocking and yields the CPU to anything else
 * runnable instead of sleeping. Measured
 * on this project's virtual machines (an idle vCPU halts at once): after
 * any sleep, even 100 us followed by 1.9 ms of spinning, the next send on
 * loopback takes about a microsecond longer than when the CPU never
 * idled (ping -i 0.002: 4.5 against 3.5 us minimum, 13 against 6 us on
 * average; bench/rtt_floor shows it). The price is a busy CPU. within_ns
 * 0 turns it off.
 */
void loop_set_spin(struct loop *l, int64_t within_ns, bool (*ok)(void *),
		   void *arg);

/* Runs one round: waits at most max_wait_ns (-1: until something happens)
 * or until the next timer, then runs what is due. Returns the number of
 * callbacks run, or -1 with errno. */
int loop_run_once(struct loop *l, int64_t max_wait_ns);

/* Runs until loop_stop(); returns the status given to it. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l, int status);

#endif
