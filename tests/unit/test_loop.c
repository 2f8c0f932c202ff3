/*
 * Unit tests for lib/loop: timer order, cancellation, fd readiness,
 * signals through signalfd, sub-millisecond waits.
 */
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#include <stdbool.h>
#include <stdint.h>
#include "unit.h"

struct rec {
	char order[16];
	size_t n;
};

static void rec_push(struct rec *r, char c)
{
	if (r->n < sizeof(r->order) - 1)
		r->order[r->n++] = c;
}

static void on_a(struct loop *l, void *arg) { (void)l; rec_push(arg, 'a'); }
static void on_b(struct loop *l, void *arg) { (void)l; rec_push(arg, 'b'); }
static void on_c(struct loop *l, void *arg) { (void)l; rec_push(arg, 'c'); }
static void on_stop(struct loop *l, void *arg)
{
	rec_push(arg, 's');
	loop_stop(l, 42);
}

UNIT_TEST(test_timer_order)
{
	struct loop l;
	struct rec r = { "", 0 };
	int64_t now = loop_now_ns();

	CHECK_EQ(loop_init(&l, 8, 16), 0);
	CHECK(loop_timer_at(&l, now + 3000000, on_c, &r) > 0);
	CHECK(loop_timer_at(&l, now + 1000000, on_a, &r) > 0);
	CHECK(loop_timer_at(&l, now + 2000000, on_b, &r) > 0);
	/* Equal deadlines run in the order they were added. */
	CHECK(loop_timer_at(&l, now + 2000000, on_c, &r) > 0);
	CHECK(loop_timer_at(&l, now + 4000000, on_stop, &r) > 0);
	CHECK_EQ(loop_run(&l), 42);
	CHECK_STR(r.order, "abccs");
	loop_free(&l);
}

UNIT_TEST(test_timer_cancel_and_capacity)
{
	struct loop l;
	struct rec r = { "", 0 };
	int64_t now = loop_now_ns();
	uint64_t id;

	CHECK_EQ(loop_init(&l, 3, 16), 0);
	CHECK(loop_timer_at(&l, now + 1000000, on_a, &r) > 0);
	id = loop_timer_at(&l, now + 1500000, on_b, &r);
	CHECK(id > 0);
	CHECK(loop_timer_at(&l, now + 2000000, on_stop, &r) > 0);
	/* Full: the fourth is refused, not allocated. */
	CHECK_EQ(loop_timer_at(&l, now, on_c, &r), 0);
	CHECK(loop_timer_cancel(&l, id));
	CHECK(!loop_timer_cancel(&l, id));
	CHECK_EQ(loop_run(&l), 42);
	CHECK_STR(r.order, "as");
	loop_free(&l);
}

/* A timer that sifts up past another must still be cancelled by its own
 * id (the id used to be read back from the slot after the sift). */
UNIT_TEST(test_timer_cancel_after_sift)
{
	struct loop l;
	struct rec r = { "", 0 };
	int64_t now = loop_now_ns();
	uint64_t id;

	CHECK_EQ(loop_init(&l, 4, 16), 0);
	CHECK(loop_timer_at(&l, now + 3000000, on_stop, &r) > 0);
	id = loop_timer_at(&l, now + 1000000, on_a, &r);
	CHECK(loop_timer_cancel(&l, id));
	CHECK_EQ(loop_run(&l), 42);
	CHECK_STR(r.order, "s");
	loop_free(&l);
}

static void on_readable(struct loop *l, int fd, uint32_t ev, void *arg)
{
	char buf[8];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)ev;
	if (n > 0)
		rec_push(arg, buf[0]);
	loop_stop(l, 7);
}

UNIT_TEST(test_fd_ready)
{
	struct loop l;
	struct rec r = { "", 0 };
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(loop_init(&l, 4, 64), 0);
	CHECK_EQ(loop_add_fd(&l, p[0], EPOLLIN, on_readable, &r), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(loop_run(&l), 7);
	CHECK_STR(r.order, "x");
	CHECK_EQ(loop_del_fd(&l, p[0]), 0);
	/* Nothing registered any more: a bounded wait runs nothing. */
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(loop_run_once(&l, 1000000), 0);
	loop_free(&l);
	close(p[0]);
	close(p[1]);
}

static void on_read_push(struct loop *l, int fd, uint32_t ev, void *arg)
{
	char c;

	(void)l;
	if ((ev & EPOLLIN) && read(fd, &c, 1) == 1)
		rec_push(arg, c);
}

/* A polled fd and an epoll one ready together: one round runs both
 * (epoll's first); timers still bound the wait; del and mod apply. */
UNIT_TEST(test_fd_polled)
{
	struct loop l;
	struct rec r = { "", 0 };
	int p[2], q[2], i;

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	CHECK_EQ(loop_init(&l, 4, 64), 0);
	CHECK_EQ(loop_add_fd_polled(&l, p[0], EPOLLIN, on_read_push, &r), 0);
	CHECK_EQ(loop_add_fd(&l, q[0], EPOLLIN, on_read_push, &r), 0);
	CHECK_EQ(write(p[1], "p", 1), 1);
	CHECK_EQ(write(q[1], "q", 1), 1);
	CHECK_EQ(loop_run_once(&l, -1), 2);
	CHECK_STR(r.order, "qp");
	/* Read: level-triggered, so nothing is ready any more. */
	CHECK_EQ(loop_run_once(&l, 1000000), 0);
	CHECK(loop_timer_at(&l, loop_now_ns() + 1000000, on_a, &r) > 0);
	CHECK_EQ(loop_run_once(&l, -1), 1);
	CHECK_STR(r.order, "qpa");
	/* Not readable-interested any more: the byte stays unread. */
	CHECK_EQ(loop_mod_fd(&l, p[0], EPOLLOUT), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(loop_run_once(&l, 1000000), 0);
	CHECK_EQ(loop_mod_fd(&l, p[0], EPOLLIN), 0);
	CHECK_EQ(loop_run_once(&l, -1), 1);
	CHECK_STR(r.order, "qpax");
	CHECK_EQ(loop_del_fd(&l, p[0]), 0);
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(loop_run_once(&l, 1000000), 0);
	CHECK_STR(r.order, "qpax");
	/* The set is fixed-size: one too many is refused. */
	for (i = 0; i < LOOP_MAX_POLLED; i++)
		CHECK_EQ(loop_add_fd_polled(&l, p[0], EPOLLOUT, on_read_push,
					    &r), 0);
	CHECK_EQ(loop_add_fd_polled(&l, p[0], EPOLLOUT, on_read_push, &r), -1);
	loop_free(&l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	rec_push(arg, signo == SIGUSR1 ? 'U' : '?');
	loop_stop(l, signo);
}

UNIT_TEST(test_signal)
{
	struct loop l;
	struct rec r = { "", 0 };
	int sigs[] = { SIGUSR1 };
	sigset_t none;
	int p[2];

	CHECK_EQ(loop_init(&l, 4, 1024), 0);
	CHECK_EQ(loop_signals(&l, sigs, 1, on_signal, &r), 0);
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(loop_run(&l), SIGUSR1);
	CHECK_STR(r.order, "U");
	/* With a polled fd the loop waits in ppoll: the signalfd, in the
	 * epoll set, must still get through. */
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(loop_add_fd_polled(&l, p[0], EPOLLIN, on_read_push, &r), 0);
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(loop_run(&l), SIGUSR1);
	CHECK_STR(r.order, "UU");
	close(p[0]);
	close(p[1]);
	loop_free(&l);
	sigemptyset(&none);
	sigaddset(&none, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &none, NULL);
}

static bool spin_allowed(void *arg)
{
	return *(bool *)arg;
}

/* loop_set_spin: a wait that ends at a timer due within the spin window
 * returns at once (polling fds, which still dispatch) while ok() says
 * so; when ok() says no, or the timer is further off, the loop sleeps
 * until the timer as before. */
UNIT_TEST(test_spin)
{
	struct loop l;
	struct rec r = { "", 0 };
	bool allow = true;
	int64_t t0;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(loop_init(&l, 4, 64), 0);
	CHECK_EQ(loop_add_fd_polled(&l, p[0], EPOLLIN, on_read_push, &r), 0);
	loop_set_spin(&l, 100000000, spin_allowed, &allow);
	t0 = loop_now_ns();
	CHECK(loop_timer_at(&l, t0 + 60000000, on_a, &r) > 0);
	CHECK_EQ(loop_run_once(&l, -1), 0);
	CHECK(loop_now_ns() - t0 < 30000000);
	CHECK_EQ(write(p[1], "p", 1), 1);
	CHECK_EQ(loop_run_once(&l, -1), 1);
	CHECK_STR(r.order, "p");
	allow = false;
	CHECK_EQ(loop_run_once(&l, -1), 1);
	CHECK(loop_now_ns() - t0 >= 60000000);
	CHECK_STR(r.order, "pa");
	/* Outside the window: sleeps. */
	allow = true;
	loop_set_spin(&l, 10000000, spin_allowed, &allow);
	t0 = loop_now_ns();
	CHECK(loop_timer_at(&l, t0 + 30000000, on_b, &r) > 0);
	CHECK_EQ(loop_run_once(&l, -1), 1);
	CHECK(loop_now_ns() - t0 >= 30000000);
	CHECK_STR(r.order, "pab");
	loop_free(&l);
	close(p[0]);
	close(p[1]);
}

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

static bool test_under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

static void on_tick(struct loop *l, void *arg)
{
	int64_t *fired = arg;

	*fired = loop_now_ns();
	loop_stop(l, 0);
}

UNIT_TEST(test_submillisecond_timer)
{
	struct loop l;
	int64_t start, fired, late, best = INT64_MAX;
	int i;

	CHECK_EQ(loop_init(&l, 4, 16), 0);
	for (i = 0; i < 20; i++) {
		fired = 0;
		start = loop_now_ns();
		CHECK(loop_timer_at(&l, start + 200000, on_tick, &fired) > 0);
		CHECK_EQ(loop_run(&l), 0);
		late = fired - start;
		CHECK(late >= 200000); /* never early */
		if (late < best)
			best = late;
	}
	/* epoll_wait would round 0.2 ms up to a whole millisecond on every
	 * run; the best of 20 shows the wait itself is finer, even on a
	 * loaded machine where single runs are late. valgrind has no
	 * epoll_pwait2 (ENOSYS), so there the loop takes its documented
	 * whole-millisecond fallback: the unit and asan suites judge this. */
	if (!test_under_valgrind())
		CHECK(best < 900000);
	loop_free(&l);
}

UNIT_MAIN(UNIT_CASE(test_timer_order),
	  UNIT_CASE(test_timer_cancel_and_capacity),
	  UNIT_CASE(test_timer_cancel_after_sift), UNIT_CASE(test_fd_ready),
	  UNIT_CASE(test_fd_polled),
	  UNIT_CASE(test_signal), UNIT_CASE(test_spin),
	  UNIT_CASE(test_submillisecond_timer))
