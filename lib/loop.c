/*
 * loop - a small epoll event loop with timers and signals.
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64

/* Polled fds hand their events to the same callbacks as epoll ones. */
_Static_assert(EPOLLIN == POLLIN && EPOLLPRI == POLLPRI &&
		       EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
		       EPOLLHUP == POLLHUP,
	       "epoll and poll event bits differ");

int64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int loop_init(struct loop *l, size_t timer_cap, size_t max_fds)
{
	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	l->timers = calloc(timer_cap ? timer_cap : 1, sizeof(*l->timers));
	l->slots = calloc(max_fds ? max_fds : 1, sizeof(*l->slots));
	if (!l->timers || !l->slots) {
		loop_free(l);
		errno = ENOMEM;
		return -1;
	}
	l->timer_cap = timer_cap;
	l->nslots = max_fds;
	l->next_id = 1;
	return 0;
}

void loop_free(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->timers);
	free(l->slots);
	l->epfd = l->sigfd = -1;
	l->timers = NULL;
	l->slots = NULL;
}

static bool loop_fd_ok(const struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nslots) {
		errno = EMFILE;
		return false;
	}
	return true;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (!loop_fd_ok(l, fd))
		return -1;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	l->slots[fd].fn = fn;
	l->slots[fd].arg = arg;
	return 0;
}

int loop_add_fd_polled(struct loop *l, int fd, uint32_t events,
		       loop_fd_fn fn, void *arg)
{
	if (!loop_fd_ok(l, fd))
		return -1;
	if (l->npolled >= LOOP_MAX_POLLED) {
		errno = EMFILE;
		return -1;
	}
	l->polled[l->npolled].fd = fd;
	l->polled[l->npolled].events = (short)events;
	l->polled[l->npolled].revents = 0;
	l->npolled++;
	l->slots[fd].fn = fn;
	l->slots[fd].arg = arg;
	return 0;
}

/* The fd's entry in the polled set, or NULL when epoll watches it. */
static struct pollfd *loop_polled(struct loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->npolled; i++)
		if (l->polled[i].fd == fd)
			return &l->polled[i];
	return NULL;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	struct pollfd *p = loop_polled(l, fd);

	if (p) {
		p->events = (short)events;
		return 0;
	}
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int loop_del_fd(struct loop *l, int fd)
{
	struct pollfd *p = loop_polled(l, fd);

	if (fd >= 0 && (size_t)fd < l->nslots) {
		l->slots[fd].fn = NULL;
		l->slots[fd].arg = NULL;
	}
	if (p) {
		*p = l->polled[--l->npolled];
		return 0;
	}
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* --- timer heap (min-heap on when_ns, ties broken by id = FIFO) --- */

static bool loop_timer_before(const struct loop_timer *a,
			      const struct loop_timer *b)
{
	return a->when_ns < b->when_ns ||
	       (a->when_ns == b->when_ns && a->id < b->id);
}

static void loop_swap(struct loop_timer *a, struct loop_timer *b)
{
	struct loop_timer t = *a;

	*a = *b;
	*b = t;
}

static void loop_sift_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!loop_timer_before(&l->timers[i], &l->timers[parent]))
			break;
		loop_swap(&l->timers[i], &l->timers[parent]);
		i = parent;
	}
}

static void loop_sift_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, best = i;

		if (left < l->ntimers &&
		    loop_timer_before(&l->timers[left], &l->timers[best]))
			best = left;
		if (right < l->ntimers &&
		    loop_timer_before(&l->timers[right], &l->timers[best]))
			best = right;
		if (best == i)
			return;
		loop_swap(&l->timers[i], &l->timers[best]);
		i = best;
	}
}

static void loop_heap_remove(struct loop *l, size_t i)
{
	l->ntimers--;
	if (i == l->ntimers)
		return;
	l->timers[i] = l->timers[l->ntimers];
	loop_sift_down(l, i);
	loop_sift_up(l, i);
}

uint64_t loop_timer_at(struct loop *l, int64_t when_ns, loop_timer_fn fn,
		       void *arg)
{
	struct loop_timer *t;
	uint64_t id;

	if (l->ntimers >= l->timer_cap)
		return 0;
	t = &l->timers[l->ntimers];
	t->when_ns = when_ns;
	t->id = id = l->next_id++;
	t->fn = fn;
	t->arg = arg;
	l->ntimers++;
	/* The sift moves entries: t may hold another timer afterwards. */
	loop_sift_up(l, l->ntimers - 1);
	return id;
}

bool loop_timer_cancel(struct loop *l, uint64_t id)
{
	size_t i;

	/* Linear: cancellations are rare next to expiries, and the heap is
	 * small (one entry per outstanding probe at most). */
	for (i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id) {
			loop_heap_remove(l, i);
			return true;
		}
	}
	return false;
}

static int loop_run_timers(struct loop *l)
{
	int64_t now;
	int ran = 0;

	if (l->ntimers == 0)
		return 0; /* no clock read per wakeup of a timerless loop */
	now = loop_now_ns();
	while (l->ntimers > 0 && l->timers[0].when_ns <= now && !l->stop) {
		struct loop_timer t = l->timers[0];

		loop_heap_remove(l, 0);
		t.fn(l, t.arg);
		ran++;
	}
	return ran;
}

/* --- signals --- */

static void loop_on_signalfd(struct loop *l, int fd, uint32_t events,
			     void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (l->sig_fn)
			l->sig_fn(l, (int)si.ssi_signo, l->sig_arg);
}

int loop_signals(struct loop *l, const int *signals, size_t n,
		 loop_signal_fn fn, void *arg)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	l->sigfd = signalfd(l->sigfd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -1;
	l->sig_fn = fn;
	l->sig_arg = arg;
	return loop_add_fd(l, l->sigfd, EPOLLIN, loop_on_signalfd, NULL);
}

/* --- running --- */

/* How long to block: the caller's limit or the next timer, -1 = forever. */
static int64_t loop_wait_ns(struct loop *l, int64_t max_wait_ns)
{
	int64_t wait = max_wait_ns;

	if (l->ntimers > 0) {
		int64_t until = l->timers[0].when_ns - loop_now_ns();

		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	return wait;
}

/* epoll_pwait2 takes a timespec, so sub-millisecond intervals (ping -i
 * 0.0002) are honoured; kernels before 5.11 lack it and get epoll_wait
 * with the wait rounded up to whole milliseconds. */
static int loop_epoll_wait(struct loop *l, struct epoll_event *evs, int max,
			   int64_t wait_ns)
{
	struct timespec ts;
	int n;

	if (wait_ns >= 0) {
		ts.tv_sec = (time_t)(wait_ns / 1000000000);
		ts.tv_nsec = (long)(wait_ns % 1000000000);
	}
	if (!l->no_pwait2) {
		n = epoll_pwait2(l->epfd, evs, max, wait_ns >= 0 ? &ts : NULL,
				 NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		l->no_pwait2 = true;
	}
	return epoll_wait(l->epfd, evs, max,
			  wait_ns < 0 ? -1 : (int)((wait_ns + 999999) / 1000000));
}

/* With polled fds: one ppoll over them and the epoll fd, then the epoll
 * set without waiting when it has something. pfds gets the polled fds'
 * results (pfds[0] is the epoll fd). */
static int loop_ppoll_wait(struct loop *l, struct epoll_event *evs, int max,
			   struct pollfd *pfds, int64_t wait_ns)
{
	struct timespec ts;
	int n;

	pfds[0].fd = l->epfd;
	pfds[0].events = POLLIN;
	pfds[0].revents = 0;
	memcpy(pfds + 1, l->polled, l->npolled * sizeof(*pfds));
	if (wait_ns >= 0) {
		ts.tv_sec = (time_t)(wait_ns / 1000000000);
		ts.tv_nsec = (long)(wait_ns % 1000000000);
	}
	n = ppoll(pfds, l->npolled + 1, wait_ns >= 0 ? &ts : NULL, NULL);
	if (n <= 0 || !(pfds[0].revents & POLLIN))
		return n < 0 ? -1 : 0;
	return loop_epoll_wait(l, evs, max, 0);
}

void loop_set_spin(struct loop *l, int64_t within_ns, bool (*ok)(void *),
		   void *arg)
{
	l->spin_ns = within_ns > 0 ? within_ns : 0;
	l->spin_ok = ok;
	l->spin_arg = arg;
}

/* Whether to poll and yield instead of sleeping wait_ns (loop_set_spin):
 * only for a short finite wait, never for "forever" (-1). */
static bool loop_spinning(struct loop *l, int64_t wait_ns)
{
	return l->spin_ns > 0 && wait_ns > 0 && wait_ns <= l->spin_ns &&
	       (!l->spin_ok || l->spin_ok(l->spin_arg));
}

static void loop_dispatch(struct loop *l, int fd, uint32_t events, int *ran)
{
	if (l->stop || !events || fd < 0 || (size_t)fd >= l->nslots ||
	    !l->slots[fd].fn)
		return;
	l->slots[fd].fn(l, fd, events, l->slots[fd].arg);
	(*ran)++;
}

int loop_run_once(struct loop *l, int64_t max_wait_ns)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	struct pollfd pfds[LOOP_MAX_POLLED + 1];
	int64_t wait_ns = loop_wait_ns(l, max_wait_ns);
	size_t np = l->npolled, i;
	int n, ran = 0;

	if (loop_spinning(l, wait_ns)) {
		sched_yield();
		wait_ns = 0;
	}
	if (np)
		n = loop_ppoll_wait(l, evs, LOOP_MAX_EVENTS, pfds, wait_ns);
	else
		n = loop_epoll_wait(l, evs, LOOP_MAX_EVENTS, wait_ns);
	if (n < 0 && errno != EINTR)
		return -1;
	for (i = 0; n > 0 && i < (size_t)n; i++)
		loop_dispatch(l, evs[i].data.fd, evs[i].events, &ran);
	/* After a failed ppoll (EINTR) no revents are set. */
	for (i = 1; n >= 0 && i <= np; i++)
		loop_dispatch(l, pfds[i].fd, (uint16_t)pfds[i].revents, &ran);
	return ran + loop_run_timers(l);
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) < 0)
			return -1;
	return l->status;
}

void loop_stop(struct loop *l, int status)
{
	l->stop = true;
	l->status = status;
}
