/*
 * rdns - asynchronous reverse DNS with a deadline.
 */
#include "rdns.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum rdns_slot_state {
	RDNS_SLOT_QUEUED,
	RDNS_SLOT_RUNNING,
	RDNS_SLOT_DONE,
};

struct rdns_slot {
	struct sock_addr addr;
	enum rdns_slot_state state;
	bool found;
	int64_t deadline_ns;
	char name[RDNS_NAME_MAX];
};

struct rdns {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	int refs; /* the owner plus every live worker */
	int64_t timeout_ns;
	size_t cap, n;
	struct rdns_slot *slots;
};

/* Two addresses are the same host when family and address bytes agree. */
static bool rdns_same(const struct sock_addr *x, const struct sock_addr *y)
{
	if (x->ss.ss_family != y->ss.ss_family)
		return false;
	if (x->ss.ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)&x->ss)->sin_addr,
			      &((const struct sockaddr_in *)&y->ss)->sin_addr,
			      4) == 0;
	if (x->ss.ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&x->ss)->sin6_addr,
			      &((const struct sockaddr_in6 *)&y->ss)->sin6_addr,
			      16) == 0;
	return false;
}

static struct rdns_slot *rdns_find(struct rdns *r, const struct sock_addr *a)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (rdns_same(&r->slots[i].addr, a))
			return &r->slots[i];
	return NULL;
}

/* Drops one reference with the lock held; the last one frees the pool. */
static void rdns_unref_locked(struct rdns *r)
{
	bool last = --r->refs == 0;

	pthread_mutex_unlock(&r->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->slots);
	free(r);
}

static struct rdns_slot *rdns_next_queued(struct rdns *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->slots[i].state == RDNS_SLOT_QUEUED)
			return &r->slots[i];
	return NULL;
}

static void *rdns_worker(void *arg)
{
	struct rdns *r = arg;
	struct rdns_slot *s;
	struct sock_addr a;
	char host[RDNS_NAME_MAX];
	int rc;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && !(s = rdns_next_queued(r)))
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop)
			break;
		s->state = RDNS_SLOT_RUNNING;
		a = s->addr;
		pthread_mutex_unlock(&r->mu);
		/* NI_NAMEREQD: an address without a name is "no name", not
		 * its own text. */
		rc = getnameinfo((const struct sockaddr *)&a.ss, a.len, host,
				 sizeof(host), NULL, 0, NI_NAMEREQD);
		pthread_mutex_lock(&r->mu);
		/* Slots are never reused, so s is still this address. */
		s->found = rc == 0;
		if (rc == 0)
			memcpy(s->name, host, sizeof(s->name));
		s->state = RDNS_SLOT_DONE;
	}
	rdns_unref_locked(r);
	return NULL;
}

struct rdns *rdns_new(size_t threads, size_t capacity, int64_t timeout_ns)
{
	struct rdns *r;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	size_t i;

	if (threads < 1 || threads > 16 || capacity < 1) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->slots = calloc(capacity, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	r->cap = capacity;
	r->timeout_ns = timeout_ns;
	r->refs = 1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Workers block every signal (they inherit this mask), so SIGINT
	 * reaches the thread that runs the event loop's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&tid, &attr, rdns_worker, r) != 0)
			break;
		r->refs++;
	}
	pthread_mutex_unlock(&r->mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (i == 0) {
		rdns_free(r);
		errno = EAGAIN;
		return NULL;
	}
	return r;
}

void rdns_free(struct rdns *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	rdns_unref_locked(r);
}

int rdns_submit(struct rdns *r, const struct sock_addr *a, int64_t now_ns)
{
	struct rdns_slot *s;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (!rdns_find(r, a)) {
		if (r->n == r->cap) {
			rc = -1;
		} else {
			s = &r->slots[r->n++];
			memset(s, 0, sizeof(*s));
			s->addr = *a;
			s->state = RDNS_SLOT_QUEUED;
			s->deadline_ns = now_ns + r->timeout_ns;
			pthread_cond_signal(&r->cv);
		}
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

enum rdns_state rdns_get(struct rdns *r, const struct sock_addr *a,
			 int64_t now_ns, char *name, size_t len)
{
	struct rdns_slot *s;
	enum rdns_state st = RDNS_NONE;

	pthread_mutex_lock(&r->mu);
	s = rdns_find(r, a);
	if (s && s->state == RDNS_SLOT_DONE && s->found) {
		st = RDNS_FOUND;
		if (len) {
			strncpy(name, s->name, len - 1);
			name[len - 1] = '\0';
		}
	} else if (s && s->state != RDNS_SLOT_DONE && now_ns < s->deadline_ns) {
		st = RDNS_PENDING;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

int64_t rdns_pending_deadline(struct rdns *r, int64_t now_ns)
{
	int64_t latest = 0;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->n; i++)
		if (r->slots[i].state != RDNS_SLOT_DONE &&
		    r->slots[i].deadline_ns > now_ns &&
		    r->slots[i].deadline_ns > latest)
			latest = r->slots[i].deadline_ns;
	pthread_mutex_unlock(&r->mu);
	return latest;
}
