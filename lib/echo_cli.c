/*
 * echo_cli - the echo client engine.
 */
#include "echo_cli.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_CLI_BUF 65536

/* --- payloads --- */

static int echo_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int echo_payload_pattern(struct echo_payload *p, const char *hex, char *err,
			 size_t errlen)
{
	size_t n = strlen(hex), i;

	if (n == 0 || n % 2 || n / 2 > ECHO_PATTERN_MAX) {
		snprintf(err, errlen,
			 "-p: '%s' is not 1 to %d bytes in hex (ff00a5)", hex,
			 ECHO_PATTERN_MAX);
		return -1;
	}
	for (i = 0; i < n; i += 2) {
		int hi = echo_hexval(hex[i]), lo = echo_hexval(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "-p: '%s' is not hex", hex);
			return -1;
		}
		p->pattern[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	p->plen = n / 2;
	p->random = false;
	return 0;
}

/* splitmix64: a counter-based generator, so byte i of request seq can be
 * computed without the ones before it. */
static uint64_t echo_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint8_t echo_payload_byte(const struct echo_payload *p, uint64_t seq,
				 size_t off, uint64_t *cache, size_t *cword)
{
	size_t w = off / 8;

	if (!p->random)
		return p->pattern[off % p->plen];
	if (*cword != w) {
		*cache = echo_mix(p->seed ^ echo_mix(seq) ^
				  (w * 0xd6e8feb86659fd93ull));
		*cword = w;
	}
	return (uint8_t)(*cache >> (8 * (off % 8)));
}

void echo_payload_fill(const struct echo_payload *p, uint64_t seq, size_t off,
		       uint8_t *buf, size_t n)
{
	uint64_t cache = 0;
	size_t cword = (size_t)-1, i;

	for (i = 0; i < n; i++)
		buf[i] = echo_payload_byte(p, seq, off + i, &cache, &cword);
}

size_t echo_payload_diff(const struct echo_payload *p, uint64_t seq, size_t off,
			 const uint8_t *got, size_t n, uint8_t *want)
{
	uint64_t cache = 0;
	size_t cword = (size_t)-1, i;

	for (i = 0; i < n; i++) {
		uint8_t b = echo_payload_byte(p, seq, off + i, &cache, &cword);

		if (b != got[i]) {
			*want = b;
			return i;
		}
	}
	return n;
}

/* --- engine helpers --- */

static struct echo_cli_req *echo_cli_req(struct echo_cli *c, uint64_t seq)
{
	return &c->q[seq % ECHO_CLI_MAX_OUTSTANDING];
}

static uint64_t echo_cli_head(const struct echo_cli *c)
{
	return c->next_seq - c->qlen;
}

static void echo_cli_emit(struct echo_cli *c, const struct echo_cli_ev *ev)
{
	if (c->fn)
		c->fn(c->arg, ev);
}

static void echo_cli_fail(struct echo_cli *c, int err, const char *what)
{
	if (!c->res.error) {
		c->res.error = err;
		snprintf(c->res.errmsg, sizeof(c->res.errmsg), "%s: %s", what,
			 strerror(err));
	}
	c->done = true;
}

static bool echo_cli_all_sent(const struct echo_cli *c)
{
	return c->cfg.count && c->next_seq >= c->cfg.count;
}

static void echo_cli_mismatch(struct echo_cli *c, struct echo_cli_ev *ev)
{
	ev->kind = ECHO_EV_MISMATCH;
	c->res.mismatches++;
	if (!c->res.have_mismatch) {
		c->res.have_mismatch = true;
		c->res.mm_seq = ev->seq;
		c->res.mm_offset = ev->offset;
	}
	stats_error(&c->res.st, loop_now_ns(), STATS_ERR_CORRUPT, ev->len);
	echo_cli_emit(c, ev);
}

/* Drops resolved requests from the front of the ring. UDP keeps answered
 * ones until their deadline so that a late second copy is seen as a
 * duplicate, not as garbage. */
static void echo_cli_pop(struct echo_cli *c, int64_t now)
{
	while (c->qlen > 0) {
		struct echo_cli_req *r = echo_cli_req(c, echo_cli_head(c));

		if (!r->answered)
			break;
		if (c->cfg.udp && now < r->deadline && !c->done)
			break;
		c->qlen--;
	}
}

static void echo_cli_reply_ok(struct echo_cli *c, struct echo_cli_req *r,
			      size_t len, int64_t rtt, int64_t now)
{
	struct echo_cli_ev ev = {.kind = ECHO_EV_REPLY,
				 .seq = r->seq,
				 .len = len,
				 .rtt_ns = rtt};

	r->answered = true;
	c->res.intact++;
	stats_reply(&c->res.st, now, rtt, len, r->seq);
	echo_cli_emit(c, &ev);
}

/* --- TCP --- */

static void echo_cli_tcp_interest(struct echo_cli *c)
{
	uint32_t ev = EPOLLIN;

	if (c->tx_idx < c->next_seq)
		ev |= EPOLLOUT;
	loop_mod_fd(c->loop, c->fd, ev);
}

/* Writes what the send timer queued; tx_idx is the seq being written. */
static void echo_cli_tcp_write(struct echo_cli *c)
{
	uint8_t *tx = c->buf + ECHO_CLI_BUF;

	while (c->tx_idx < c->next_seq) {
		size_t n = c->cfg.size - c->tx_off;
		ssize_t w;

		if (n > ECHO_CLI_BUF)
			n = ECHO_CLI_BUF;
		if (n > 0) {
			echo_payload_fill(&c->cfg.payload, c->tx_idx, c->tx_off,
					  tx, n);
			w = send(c->fd, tx, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					echo_cli_fail(c, errno, "send");
				break;
			}
			c->tx_off += (size_t)w;
		}
		if (c->tx_off == c->cfg.size) {
			c->tx_idx++;
			c->tx_off = 0;
		}
	}
	/* Once the last request is out, the half-close tells the server so,
	 * and its EOF back proves nothing extra was in the stream. */
	if (echo_cli_all_sent(c) && c->tx_idx == c->next_seq &&
	    !c->half_closed) {
		shutdown(c->fd, SHUT_WR);
		c->half_closed = true;
	}
	if (!c->done)
		echo_cli_tcp_interest(c);
}

/* The first request that still expects bytes. */
static uint64_t echo_cli_tcp_rx_seq(struct echo_cli *c)
{
	uint64_t s;

	for (s = echo_cli_head(c); s < c->next_seq; s++)
		if (echo_cli_req(c, s)->rx_off < c->cfg.size ||
		    c->cfg.size == 0)
			return s;
	return c->next_seq;
}

static void echo_cli_tcp_bytes(struct echo_cli *c, const uint8_t *b, size_t n,
			       int64_t now)
{
	size_t p = 0;

	while (p < n) {
		uint64_t s = echo_cli_tcp_rx_seq(c);
		struct echo_cli_req *r;
		size_t take, d;
		uint8_t want = 0;

		if (s >= c->next_seq || c->cfg.size == 0) {
			/* Bytes nobody sent: more came back than went out. */
			struct echo_cli_ev ev = {
				.seq = c->next_seq ? c->next_seq - 1 : 0,
				.len = n - p,
				.offset = c->cfg.size,
				.short_reply = true,
				.rtt_ns = -1,
			};
			echo_cli_mismatch(c, &ev);
			return;
		}
		r = echo_cli_req(c, s);
		take = c->cfg.size - r->rx_off;
		if (take > n - p)
			take = n - p;
		d = echo_payload_diff(&c->cfg.payload, s, r->rx_off, b + p,
				      take, &want);
		if (d < take && !r->bad) {
			struct echo_cli_ev ev = {
				.seq = s,
				.len = c->cfg.size,
				.offset = r->rx_off + d,
				.got = b[p + d],
				.want = want,
				.rtt_ns = now - r->sent_mono,
			};
			r->bad = true;
			echo_cli_mismatch(c, &ev);
		}
		r->rx_off += take;
		p += take;
		if (r->rx_off == c->cfg.size) {
			if (r->bad)
				r->answered = true;
			else
				echo_cli_reply_ok(c, r, c->cfg.size,
						  now - r->sent_mono, now);
		}
	}
}

/* The server closed: zero-byte requests are complete now, anything else
 * still outstanding came back short. */
static void echo_cli_tcp_eof(struct echo_cli *c, int64_t now)
{
	uint64_t s;

	for (s = echo_cli_head(c); s < c->next_seq; s++) {
		struct echo_cli_req *r = echo_cli_req(c, s);
		struct echo_cli_ev ev = {.kind = ECHO_EV_CLOSED,
					 .seq = s,
					 .len = r->rx_off,
					 .rtt_ns = -1};

		if (r->answered)
			continue;
		if (c->cfg.size == 0 && c->half_closed && s < c->tx_idx) {
			/* Nothing came back to time: the EOF only shows
			 * that nothing extra did. */
			echo_cli_reply_ok(c, r, 0, -1, now);
			continue;
		}
		r->answered = true;
		if (r->rx_off > 0 && !r->bad) {
			ev.kind = ECHO_EV_MISMATCH;
			ev.offset = r->rx_off;
			ev.short_reply = true;
			echo_cli_mismatch(c, &ev);
			continue;
		}
		echo_cli_emit(c, &ev);
	}
	if (!echo_cli_all_sent(c) || !c->half_closed)
		echo_cli_fail(c, ECONNRESET,
			      "the server closed the connection");
	c->done = true;
}

static void echo_cli_tcp_read(struct echo_cli *c)
{
	int i;

	for (i = 0; i < 16 && !c->done; i++) {
		ssize_t r = recv(c->fd, c->buf, ECHO_CLI_BUF, MSG_DONTWAIT);
		int64_t now = loop_now_ns();

		if (r > 0) {
			c->res.st.last_recv_ns = now;
			echo_cli_tcp_bytes(c, c->buf, (size_t)r, now);
			continue;
		}
		if (r == 0) {
			echo_cli_tcp_eof(c, now);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		echo_cli_tcp_eof(c, now);
		echo_cli_fail(c, errno, "recv");
		return;
	}
}

/* --- UDP --- */

static void echo_cli_udp_icmp(struct echo_cli *c, int err, int64_t now)
{
	uint64_t s;

	for (s = echo_cli_head(c); s < c->next_seq; s++) {
		struct echo_cli_req *r = echo_cli_req(c, s);
		struct echo_cli_ev ev = {.kind = ECHO_EV_ICMP,
					 .seq = s,
					 .err = err,
					 .rtt_ns = -1};

		if (r->answered)
			continue;
		r->answered = true;
		ev.rtt_ns = now - r->sent_mono;
		stats_error(&c->res.st, now, STATS_ERR_ICMP, 0);
		echo_cli_emit(c, &ev);
		return;
	}
}

/* Which request a datagram answers: the first unanswered one it matches
 * byte for byte (patterned payloads are all alike, so the oldest), else a
 * duplicate of an answered one, else it is garbled. */
static void echo_cli_udp_match(struct echo_cli *c, const uint8_t *b, size_t n,
			       const struct sock_rx *rx, int64_t now)
{
	uint64_t s, first_open = c->next_seq;
	struct echo_cli_req *dup = NULL;
	uint8_t want = 0;

	for (s = echo_cli_head(c); s < c->next_seq; s++) {
		struct echo_cli_req *r = echo_cli_req(c, s);
		bool same = n == c->cfg.size &&
			    echo_payload_diff(&c->cfg.payload, s, 0, b, n,
					      &want) == n;

		if (!r->answered && first_open == c->next_seq)
			first_open = s;
		if (!same)
			continue;
		if (!r->answered) {
			echo_cli_reply_ok(c, r, n,
					  sock_rtt_ns(r->sent_real,
						      r->sent_mono, rx, now),
					  now);
			return;
		}
		if (!dup)
			dup = r;
	}
	if (dup) {
		struct echo_cli_ev ev = {
			.kind = ECHO_EV_DUP, .seq = dup->seq, .len = n};

		ev.rtt_ns =
			sock_rtt_ns(dup->sent_real, dup->sent_mono, rx, now);
		stats_dup(&c->res.st, now, ev.rtt_ns, n);
		echo_cli_emit(c, &ev);
		return;
	}
	if (first_open < c->next_seq) {
		struct echo_cli_req *r = echo_cli_req(c, first_open);
		size_t m = n < c->cfg.size ? n : c->cfg.size;
		size_t d = echo_payload_diff(&c->cfg.payload, first_open, 0, b,
					     m, &want);
		struct echo_cli_ev ev = {.seq = first_open,
					 .len = n,
					 .offset = d,
					 .short_reply = d == m,
					 .got = d < m ? b[d] : 0,
					 .want = want,
					 .rtt_ns = now - r->sent_mono};

		r->answered = true;
		echo_cli_mismatch(c, &ev);
	}
}

static void echo_cli_udp_read(struct echo_cli *c)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct sock_rx rx;
		ssize_t n = sock_recv(c->fd, c->buf, ECHO_CLI_BUF, MSG_DONTWAIT,
				      &rx);
		int64_t now = loop_now_ns();

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/* Connected UDP: the kernel turns an ICMP error
			 * about our datagram into this errno. */
			echo_cli_udp_icmp(c, errno, now);
			continue;
		}
		c->res.st.last_recv_ns = now;
		echo_cli_udp_match(c, c->buf, (size_t)n, &rx, now);
	}
}

/* --- sending and timers --- */

static bool echo_cli_send_one(struct echo_cli *c, int64_t now)
{
	struct echo_cli_req *r;

	if (c->qlen >= ECHO_CLI_MAX_OUTSTANDING)
		return false; /* try again when one resolves */
	r = echo_cli_req(c, c->next_seq);
	memset(r, 0, sizeof(*r));
	r->seq = c->next_seq;
	r->sent_mono = now;
	r->sent_real = sock_realtime_ns();
	r->deadline = now + (int64_t)(c->cfg.timeout * 1e9);
	if (c->cfg.udp) {
		echo_payload_fill(&c->cfg.payload, r->seq, 0, c->buf,
				  c->cfg.size);
		if (send(c->fd, c->buf, c->cfg.size, MSG_DONTWAIT) < 0) {
			if (errno == ECONNREFUSED) {
				/* An ICMP error for an earlier datagram
				 * surfaced here; this one was not sent. */
				echo_cli_udp_icmp(c, errno, now);
				return true;
			}
			stats_error(&c->res.st, now, STATS_ERR_LOCAL, 0);
			return true;
		}
	}
	c->next_seq++;
	c->qlen++;
	c->res.sent++;
	stats_sent(&c->res.st, now, c->cfg.size);
	if (!c->cfg.udp)
		echo_cli_tcp_write(c);
	return true;
}

static int64_t echo_cli_send_time(const struct echo_cli *c, uint64_t seq)
{
	return c->start_ns + (int64_t)((double)seq * c->cfg.interval * 1e9);
}

static void echo_cli_expire(struct echo_cli *c, int64_t now)
{
	uint64_t s;

	for (s = echo_cli_head(c); s < c->next_seq; s++) {
		struct echo_cli_req *r = echo_cli_req(c, s);
		struct echo_cli_ev ev = {.kind = ECHO_EV_TIMEOUT,
					 .seq = s,
					 .len = r->rx_off,
					 .rtt_ns = -1};

		if (r->answered)
			continue;
		if (now < r->deadline)
			break;
		r->answered = true;
		c->res.timeouts++;
		echo_cli_emit(c, &ev);
		/* A TCP stream cannot skip a request: the run ends. */
		if (!c->cfg.udp)
			c->done = true;
	}
}

static bool echo_cli_finished(struct echo_cli *c)
{
	uint64_t s;

	if (c->done)
		return true;
	if (!echo_cli_all_sent(c))
		return false;
	for (s = echo_cli_head(c); s < c->next_seq; s++)
		if (!echo_cli_req(c, s)->answered)
			return false;
	/* TCP waits for the server's EOF (the end of the run's check). */
	return c->cfg.udp;
}

static void echo_cli_on_timer(struct loop *l, void *arg);

/* One timer: the next send, the oldest deadline, or the connect/EOF
 * deadline, whichever comes first. */
static void echo_cli_schedule(struct echo_cli *c)
{
	int64_t now = loop_now_ns(), when = INT64_MAX;
	uint64_t s;

	if (c->timer)
		loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	if (echo_cli_finished(c)) {
		c->done = true;
		loop_stop(c->loop, 0);
		return;
	}
	if (c->connecting) {
		when = c->start_ns + (int64_t)(c->cfg.timeout * 1e9);
	} else {
		if (!echo_cli_all_sent(c))
			when = echo_cli_send_time(c, c->next_seq);
		for (s = echo_cli_head(c); s < c->next_seq; s++) {
			struct echo_cli_req *r = echo_cli_req(c, s);

			if (!r->answered || c->cfg.udp) {
				if (r->deadline < when)
					when = r->deadline;
				break;
			}
		}
		if (c->eof_wait && c->eof_wait < when)
			when = c->eof_wait;
	}
	if (when == INT64_MAX)
		when = now + 1000000000;
	c->timer = loop_timer_at(c->loop, when, echo_cli_on_timer, c);
}

static void echo_cli_tick(struct echo_cli *c, int64_t now)
{
	if (c->connecting) {
		if (now >= c->start_ns + (int64_t)(c->cfg.timeout * 1e9))
			echo_cli_fail(c, ETIMEDOUT, "connect");
		return;
	}
	while (!c->done && !echo_cli_all_sent(c) &&
	       echo_cli_send_time(c, c->next_seq) <= now)
		if (!echo_cli_send_one(c, now))
			break;
	echo_cli_expire(c, now);
	/* TCP, everything answered, no EOF within the timeout: the server
	 * keeps the connection open after our half-close; that is its
	 * business, the replies were all intact. */
	echo_cli_pop(c, now);
	if (!c->cfg.udp && echo_cli_all_sent(c) && c->qlen == 0 &&
	    c->half_closed) {
		if (!c->eof_wait)
			c->eof_wait = now + (int64_t)(c->cfg.timeout * 1e9);
		else if (now >= c->eof_wait)
			c->done = true;
	}
}

static void echo_cli_on_timer(struct loop *l, void *arg)
{
	struct echo_cli *c = arg;

	(void)l;
	c->timer = 0;
	echo_cli_tick(c, loop_now_ns());
	echo_cli_schedule(c);
}

static void echo_cli_connected(struct echo_cli *c, int64_t now)
{
	struct echo_cli_ev ev = {.kind = ECHO_EV_CONNECTED,
				 .rtt_ns = now - c->start_ns};
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		echo_cli_fail(c, err, "connect");
		return;
	}
	c->connecting = false;
	c->res.connected = true;
	c->res.connect_ns = ev.rtt_ns;
	echo_cli_emit(c, &ev);
	c->start_ns = now;
	echo_cli_tcp_interest(c);
}

static void echo_cli_on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct echo_cli *c = arg;
	int64_t now = loop_now_ns();

	(void)l;
	(void)fd;
	if (c->connecting) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			echo_cli_connected(c, now);
	} else if (c->cfg.udp) {
		echo_cli_udp_read(c);
	} else {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			echo_cli_tcp_read(c);
		if (!c->done && (events & EPOLLOUT))
			echo_cli_tcp_write(c);
	}
	if (!c->done && !c->connecting)
		echo_cli_tick(c, loop_now_ns());
	echo_cli_schedule(c);
}

int echo_cli_start(struct echo_cli *c, struct loop *l,
		   const struct echo_cli_cfg *cfg, echo_cli_fn fn, void *arg)
{
	int fam = sock_family(&cfg->dst), one = 1;

	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	c->fd = -1;
	stats_init(&c->res.st);
	c->q = calloc(ECHO_CLI_MAX_OUTSTANDING, sizeof(*c->q));
	c->buf = malloc(2 * ECHO_CLI_BUF);
	if (!c->q || !c->buf) {
		snprintf(c->res.errmsg, sizeof(c->res.errmsg), "out of memory");
		return -1;
	}
	c->fd = socket(fam,
		       (cfg->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
			       SOCK_CLOEXEC,
		       0);
	if (c->fd < 0) {
		snprintf(c->res.errmsg, sizeof(c->res.errmsg), "socket: %s",
			 strerror(errno));
		return -1;
	}
	if (cfg->udp)
		sock_enable_rx_info(c->fd, fam);
	else
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->start_ns = loop_now_ns();
	if (connect(c->fd, (const struct sockaddr *)&cfg->dst.ss,
		    cfg->dst.len) < 0) {
		if (errno != EINPROGRESS) {
			snprintf(c->res.errmsg, sizeof(c->res.errmsg),
				 "connect: %s", strerror(errno));
			return -1;
		}
		c->connecting = true;
	}
	if (loop_add_fd(l, c->fd, c->connecting ? EPOLLOUT : EPOLLIN,
			echo_cli_on_fd, c) < 0) {
		snprintf(c->res.errmsg, sizeof(c->res.errmsg), "event loop: %s",
			 strerror(errno));
		return -1;
	}
	if (!c->connecting && !cfg->udp)
		echo_cli_connected(c, loop_now_ns());
	if (!c->connecting)
		echo_cli_tick(c, loop_now_ns());
	echo_cli_schedule(c);
	return 0;
}

void echo_cli_finish(struct echo_cli *c)
{
	int64_t now = loop_now_ns();

	if (c->timer && c->loop)
		loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	if (c->fd >= 0) {
		if (c->loop)
			loop_del_fd(c->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	stats_end(&c->res.st, now);
	free(c->q);
	free(c->buf);
	c->q = NULL;
	c->buf = NULL;
}

int echo_cli_status(const struct echo_cli_result *r)
{
	if (r->error || r->mismatches || r->timeouts || r->intact < r->sent ||
	    r->sent == 0)
		return 1;
	return 0;
}
