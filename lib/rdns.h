/*
 * rdns - asynchronous reverse DNS with a deadline.
 *
 * A trace must never wait for a name: lookups run in a small pool of
 * worker threads (getnameinfo blocks for as long as the resolver likes),
 * the caller submits an address as soon as it sees it and asks later
 * whether the name has arrived. Every lookup has a deadline: one still
 * running after it counts as "no name" (until it finishes).
 *
 * The cache has a fixed capacity chosen at creation; nothing is allocated
 * per lookup. The pool owns itself: rdns_free() may return while a worker
 * is still stuck inside the resolver, and the last thread out frees it.
 */
#ifndef ECHOLOT_RDNS_H
#define ECHOLOT_RDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"

#define RDNS_NAME_MAX 256

struct rdns;

enum rdns_state {
	RDNS_PENDING, /* asked, no answer yet, deadline not passed */
	RDNS_FOUND,   /* name is set */
	RDNS_NONE,    /* no name: resolver failed, or the deadline passed */
};

/*
 * Creates a pool of `threads` workers (1..16) and a cache of `capacity`
 * addresses; timeout_ns is each lookup's deadline. NULL with errno on
 * failure.
 */
struct rdns *rdns_new(size_t threads, size_t capacity, int64_t timeout_ns);

/* Stops the workers (those inside the resolver finish in the background)
 * and releases the pool. */
void rdns_free(struct rdns *r);

/* Queues a lookup of a (the port is ignored); does nothing when a is
 * already known. now_ns is CLOCK_MONOTONIC. Returns 0, or -1 when the
 * cache is full (the address then simply has no name). */
int rdns_submit(struct rdns *r, const struct sock_addr *a, int64_t now_ns);

/*
 * The state of a's lookup at now_ns; with RDNS_FOUND the name is copied
 * into name. An address never submitted is RDNS_NONE.
 */
enum rdns_state rdns_get(struct rdns *r, const struct sock_addr *a,
			 int64_t now_ns, char *name, size_t len);

/* The latest deadline of the lookups still pending (0: none pending). */
int64_t rdns_pending_deadline(struct rdns *r, int64_t now_ns);

#endif
