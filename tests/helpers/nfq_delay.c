/*
 * nfq_delay - hold every packet of an NFQUEUE for a fixed time, then
 * accept it: the delay element of the test topologies (tc netem is not
 * available on the test machines).
 *
 *   nfq_delay --queue NUM --delay MS [--max N] [--ready FILE]
 *
 * The kernel lets us give verdicts later and in any order, so a packet is
 * only remembered (its id and due time) and the verdict is set by a timer.
 * Every packet waits the same time, so due times arrive in order and a
 * FIFO ring is the whole timer queue; one loop timer points at its head.
 * The ring is bounded (--max), and so is the kernel's queue (the same
 * length): a packet arriving when it is full is dropped, as a full router
 * queue would drop it. SIGTERM/SIGINT accept what is still held and
 * exit 0. --ready FILE is created once the queue is bound, so a script can
 * wait for it before it sends traffic.
 */
#include "loop.h"
#include "opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { NFQD_QUEUE = 1, NFQD_DELAY, NFQD_MAX, NFQD_READY };

static const struct opts_def nfqd_defs[] = {
	{ NFQD_QUEUE, 'q', "queue", OPTS_INT, "NUM", 0, 65535, NULL,
	  "NFQUEUE number to serve", 0 },
	{ NFQD_DELAY, 'd', "delay", OPTS_INT, "MS", 0, 60000, NULL,
	  "milliseconds to hold each packet", 0 },
	{ NFQD_MAX, 'n', "max", OPTS_INT, "N", 1, 1000000, NULL,
	  "packets held at most; more are dropped (default 4096)", 0 },
	{ NFQD_READY, 'r', "ready", OPTS_FILE, "FILE", 0, 0, NULL,
	  "create FILE once the queue is bound", 0 },
};

static const struct opts_cmd nfqd_cmd = {
	"nfq_delay", "[options]", "hold NFQUEUE packets, then accept them",
	OPTS_STRING, nfqd_defs, sizeof(nfqd_defs) / sizeof(nfqd_defs[0]),
};

struct nfqd_slot {
	uint32_t id;
	int64_t due_ns;
};

struct nfqd {
	int queue;
	int64_t delay_ns;
	size_t cap;
	const char *ready;
	int have_queue, have_delay;

	struct loop loop;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	struct nfqd_slot *ring;
	size_t head, count;
	uint64_t timer; /* pending loop timer, 0 when none */
	unsigned long held, dropped;
	char buf[65536] __attribute__((aligned));
};

static int nfqd_opt(void *ctx, const struct opts_def *def,
		    const struct opts_val *val, char *err, size_t errlen)
{
	struct nfqd *d = ctx;

	if (!def) {
		snprintf(err, errlen, "unexpected argument '%s'", val->str);
		return -1;
	}
	switch (def->id) {
	case NFQD_QUEUE:
		d->queue = (int)val->i;
		d->have_queue = 1;
		break;
	case NFQD_DELAY:
		d->delay_ns = val->i * 1000000LL;
		d->have_delay = 1;
		break;
	case NFQD_MAX:
		d->cap = (size_t)val->i;
		break;
	case NFQD_READY:
		d->ready = val->str;
		break;
	}
	return 0;
}

static void nfqd_verdict(struct nfqd *d, uint32_t id, uint32_t verdict)
{
	if (nfq_set_verdict(d->qh, id, verdict, 0, NULL) < 0)
		fprintf(stderr, "nfq_delay: verdict for packet %u: %s\n", id,
			strerror(errno));
}

static void nfqd_release_due(struct loop *l, void *arg);

static void nfqd_arm(struct nfqd *d)
{
	if (d->timer || d->count == 0)
		return;
	d->timer = loop_timer_at(&d->loop, d->ring[d->head].due_ns,
				 nfqd_release_due, d);
}

/* Timer: accept every packet whose time has come, re-arm for the next. */
static void nfqd_release_due(struct loop *l, void *arg)
{
	struct nfqd *d = arg;
	int64_t now = loop_now_ns();

	(void)l;
	d->timer = 0;
	while (d->count > 0 && d->ring[d->head].due_ns <= now) {
		nfqd_verdict(d, d->ring[d->head].id, NF_ACCEPT);
		d->head = (d->head + 1) % d->cap;
		d->count--;
	}
	nfqd_arm(d);
}

static int nfqd_on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg,
			  struct nfq_data *nfa, void *arg)
{
	struct nfqd *d = arg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	(void)qh;
	(void)msg;
	if (!ph)
		return 0;
	id = ntohl(ph->packet_id);
	if (d->count == d->cap) {
		d->dropped++;
		nfqd_verdict(d, id, NF_DROP);
		return 0;
	}
	d->ring[(d->head + d->count) % d->cap] =
		(struct nfqd_slot){ id, loop_now_ns() + d->delay_ns };
	d->count++;
	d->held++;
	nfqd_arm(d);
	return 0;
}

static void nfqd_on_readable(struct loop *l, int fd, uint32_t events,
			     void *arg)
{
	struct nfqd *d = arg;
	ssize_t n;

	(void)l;
	(void)events;
	for (;;) {
		n = recv(fd, d->buf, sizeof(d->buf), MSG_DONTWAIT);
		if (n > 0) {
			nfq_handle_packet(d->h, d->buf, (int)n);
			continue;
		}
		/* ENOBUFS: the kernel dropped messages under load; the
		 * packets themselves are dropped by the kernel, go on. */
		if (n < 0 && (errno == EINTR || errno == ENOBUFS))
			continue;
		break;
	}
}

static void nfqd_on_signal(struct loop *l, int signo, void *arg)
{
	struct nfqd *d = arg;

	(void)signo;
	while (d->count > 0) {
		nfqd_verdict(d, d->ring[d->head].id, NF_ACCEPT);
		d->head = (d->head + 1) % d->cap;
		d->count--;
	}
	loop_stop(l, 0);
}

static int nfqd_open(struct nfqd *d)
{
	d->h = nfq_open();
	if (!d->h) {
		fprintf(stderr, "nfq_delay: nfq_open: %s\n", strerror(errno));
		return -1;
	}
	d->qh = nfq_create_queue(d->h, (uint16_t)d->queue, nfqd_on_packet, d);
	if (!d->qh) {
		fprintf(stderr, "nfq_delay: cannot bind queue %d: %s\n",
			d->queue, strerror(errno));
		return -1;
	}
	/* Only the packet id is needed: no payload is copied to us. */
	if (nfq_set_mode(d->qh, NFQNL_COPY_META, 0) < 0 ||
	    nfq_set_queue_maxlen(d->qh, (uint32_t)d->cap) < 0) {
		fprintf(stderr, "nfq_delay: cannot configure queue %d\n",
			d->queue);
		return -1;
	}
	/* A bigger receive buffer keeps bursts from overflowing it. */
	nfnl_rcvbufsiz(nfq_nfnlh(d->h), 4u << 20);
	d->fd = nfq_fd(d->h);
	return 0;
}

static int nfqd_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "nfq_delay: cannot create '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int nfqd_run(struct nfqd *d)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	int rc;

	d->ring = calloc(d->cap, sizeof(*d->ring));
	if (!d->ring || loop_init(&d->loop, 4, 1024) < 0) {
		fprintf(stderr, "nfq_delay: out of memory\n");
		return 2;
	}
	if (loop_signals(&d->loop, sigs, 2, nfqd_on_signal, d) < 0 ||
	    nfqd_open(d) < 0 ||
	    loop_add_fd(&d->loop, d->fd, EPOLLIN, nfqd_on_readable, d) < 0 ||
	    (d->ready && nfqd_touch(d->ready) < 0))
		return 2;
	rc = loop_run(&d->loop);
	fprintf(stderr, "nfq_delay: queue %d: held %lu, dropped %lu\n",
		d->queue, d->held, d->dropped);
	return rc;
}

int main(int argc, char **argv)
{
	struct nfqd *d = calloc(1, sizeof(*d));
	char err[256];
	int rc;

	if (!d)
		return 2;
	d->cap = 4096;
	d->fd = -1;
	d->loop.epfd = d->loop.sigfd = -1; /* loop_free() before loop_init() */
	rc = opts_parse(&nfqd_cmd, argc, argv, nfqd_opt, d, err, sizeof(err));
	if (rc == OPTS_HELP) {
		rc = opts_print_help(&nfqd_cmd, "nfq_delay", stdout) < 0 ? 2 : 0;
		free(d);
		return rc;
	}
	if (rc != OPTS_OK || !d->have_queue || !d->have_delay) {
		fprintf(stderr, "nfq_delay: %s\n",
			rc != OPTS_OK ? err : "--queue and --delay are required");
		free(d);
		return 2;
	}
	rc = nfqd_run(d);
	if (d->qh)
		nfq_destroy_queue(d->qh);
	if (d->h)
		nfq_close(d->h);
	loop_free(&d->loop);
	free(d->ring);
	free(d);
	return rc;
}
