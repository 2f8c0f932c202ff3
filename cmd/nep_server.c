/*
 * nep-server - the Nping Echo Protocol server: captures the probes of its
 * clients and sends each one back, over the client's authenticated side
 * channel, as it arrived here.
 *
 * Order of privilege: the capture and the listening sockets are opened
 * first, then every privilege is dropped; everything that parses input
 * from the network runs unprivileged.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "loop.h"
#include "nep.h"
#include "priv.h"
#include "sock.h"

/* The entry point and table that cmd/commands.c lists. */
int cmd_nep_server_main(int argc, char **argv);
extern const struct opts_cmd cmd_nep_server_opts;

enum {
	SRV_PASS = 1, SRV_PORT, SRV_NOCRYPTO, SRV_ONCE, SRV_IFACE,
	SRV_MAXCLIENTS, SRV_SAFE, SRV_INCLUDE, SRV_USER, SRV_HSTIMEOUT,
	SRV_IDLE, SRV_QUIET, SRV_VERBOSE, SRV_FOUR, SRV_SIX,
};

static const struct opts_def srv_defs[] = {
	{ SRV_PASS, 0, "passphrase", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "shared secret the clients must know", 0 },
	{ SRV_PASS, 0, "es", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "same as --passphrase (nping's --echo-server)", OPTS_ALIAS },
	{ SRV_PASS, 0, "echo-server", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "same as --passphrase (nping)", OPTS_ALIAS },
	{ SRV_PORT, 0, "echo-port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "TCP port of the side channel (default 9929)", 0 },
	{ SRV_PORT, 0, "ep", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "same as --echo-port (nping)", OPTS_ALIAS },
	{ SRV_NOCRYPTO, 0, "no-crypto", OPTS_FLAG, NULL, 0, 0, NULL,
	  "no encryption or authentication (nping --no-crypto)", 0 },
	{ SRV_NOCRYPTO, 0, "nc", OPTS_FLAG, NULL, 0, 0, NULL,
	  "same as --no-crypto (nping)", OPTS_ALIAS },
	{ SRV_ONCE, 0, "once", OPTS_FLAG, NULL, 0, 0, NULL,
	  "serve one client, then exit", 0 },
	{ SRV_IFACE, 'I', "interface", OPTS_IFACE, "IFACE", 0, 0, NULL,
	  "capture on IFACE only (default: every interface)", 0 },
	{ SRV_IFACE, 'e', NULL, OPTS_IFACE, "IFACE", 0, 0, NULL,
	  "same as --interface (nping)", OPTS_ALIAS },
	{ SRV_MAXCLIENTS, 0, "max-clients", OPTS_INT, "N", 1, 1000, NULL,
	  "clients served at once (default 100)", 0 },
	{ SRV_SAFE, 0, "safe-payloads", OPTS_FLAG, NULL, 0, 0, NULL,
	  "zero application data before echoing (the default)", 0 },
	{ SRV_INCLUDE, 0, "include-payloads", OPTS_FLAG, NULL, 0, 0, NULL,
	  "echo packets with their application data", 0 },
	{ SRV_USER, 'u', "user", OPTS_USER, "USER", 0, 0, NULL,
	  "run as USER after opening the sockets", 0 },
	{ SRV_HSTIMEOUT, 0, "handshake-timeout", OPTS_DURATION, "SECONDS",
	  0.01, 3600, NULL, "drop clients that take longer (default 10s)", 0 },
	{ SRV_IDLE, 0, "idle-timeout", OPTS_DURATION, "SECONDS", 0, 86400,
	  NULL, "drop clients with no echo for this long (default 0: never)",
	  0 },
	{ SRV_QUIET, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print only errors and the final statistics", 0 },
	{ SRV_VERBOSE, 'v', "verbose", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print each client's packet specification too", 0 },
	{ SRV_FOUR, '4', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "listen on IPv4 only", 0 },
	{ SRV_SIX, '6', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "listen on IPv6 only", 0 },
};

const struct opts_cmd cmd_nep_server_opts = {
	"nep-server", "[options]",
	"Nping Echo Protocol server: echo clients' probes back as they arrived",
	OPTS_STRING, srv_defs, sizeof(srv_defs) / sizeof(srv_defs[0]),
};

/* Echoes queued for a slow client beyond this are dropped (and counted):
 * memory per client stays bounded. */
#define SRV_WBUF_MAX (512 * 1024)
/* What a client starts with: a READY client that keeps up never needs more
 * than a few messages queued. */
#define SRV_WBUF_MIN (16 * 1024)

struct srv_client {
	int fd;
	unsigned id;
	uint64_t serial; /* connection order: ties go to the later client */
	struct sock_addr peer;
	struct nep_session *sess;
	uint8_t *wbuf;
	size_t wlen, wcap;
	uint64_t timer;
	int64_t last_ns;
	uint64_t echoed, dropped;
};

struct srv {
	struct loop loop;
	struct capture cap;
	struct nep_crypto *crypto_lib; /* NULL with --no-crypto */
	int lfd[2];
	struct srv_client *cl;
	size_t max;
	const char *pass;
	uint16_t port;
	bool crypto, once, include, quiet, verbose, v4only, v6only;
	const char *iface, *user;
	double hs_timeout, idle_timeout;
	unsigned next_id;
	uint64_t next_serial;
	bool accepted_one;
	uint64_t served, captured, echoed, unmatched, dropped;
	uint64_t echoed_bytes;
	int64_t start_ns;
	bool filter_dirty;
	uint8_t pkt[NEP_ECHO_MAX_PACKET];
	uint8_t msg[NEP_MSG_MAX];
};

static int srv_opt(void *ctx, const struct opts_def *def,
		   const struct opts_val *val, char *err, size_t errlen)
{
	struct srv *s = ctx;

	if (!def) {
		snprintf(err, errlen, "unexpected argument '%s'", val->str);
		return -1;
	}
	switch (def->id) {
	case SRV_PASS: s->pass = val->str; break;
	case SRV_PORT: s->port = (uint16_t)val->i; break;
	case SRV_NOCRYPTO: s->crypto = false; break;
	case SRV_ONCE: s->once = true; break;
	case SRV_IFACE: s->iface = val->str; break;
	case SRV_MAXCLIENTS: s->max = (size_t)val->i; break;
	case SRV_SAFE: s->include = false; break;
	case SRV_INCLUDE: s->include = true; break;
	case SRV_USER: s->user = val->str; break;
	case SRV_HSTIMEOUT: s->hs_timeout = val->num; break;
	case SRV_IDLE: s->idle_timeout = val->num; break;
	case SRV_QUIET: s->quiet = true; break;
	case SRV_VERBOSE: s->verbose = true; break;
	case SRV_FOUR: s->v4only = true; break;
	case SRV_SIX: s->v6only = true; break;
	}
	return 0;
}

static void srv_log(const struct srv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void srv_log(const struct srv *s, const char *fmt, ...)
{
	va_list ap;

	if (s->quiet)
		return;
	printf("[%lld] ", (long long)time(NULL));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *srv_peer(const struct srv_client *c, char *buf,
			    size_t len)
{
	char a[64];

	sock_ntop(&c->peer, a, sizeof(a));
	if (sock_family(&c->peer) == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, sock_port(&c->peer));
	else
		snprintf(buf, len, "%s:%u", a, sock_port(&c->peer));
	return buf;
}

/* ------------------------------------------------------------ filter */

/* The capture filter follows the READY clients: their probes only, and
 * never the side channels themselves. */
static void srv_update_filter(struct srv *s)
{
	size_t cap = 64 + s->max * 48, n, i;
	char *f = malloc(cap), err[256];
	int any = 0;

	if (!f)
		return;
	n = (size_t)snprintf(f, cap, "not (tcp port %u) and (", s->port);
	for (i = 0; i < s->max; i++) {
		const struct srv_client *c = &s->cl[i];
		int k;

		if (c->fd < 0 || c->sess->state != NEP_ST_READY)
			continue;
		if (any)
			n += (size_t)snprintf(f + n, cap - n, " or ");
		k = capture_spec_filter(&c->sess->spec, f + n, cap - n);
		if (k > 0) {
			n += (size_t)k;
			any = 1;
		}
	}
	if (!any)
		snprintf(f, cap, "less 1"); /* nothing to capture yet */
	else
		snprintf(f + n, cap - n, ")");
	if (capture_set_filter(&s->cap, f, err, sizeof(err)) < 0)
		fprintf(stderr, "echolot nep-server: %s\n", err);
	free(f);
	s->filter_dirty = false;
}

/* ------------------------------------------------------------ clients */

static void srv_close(struct srv *s, struct srv_client *c, const char *why)
{
	char p[80];

	if (c->fd < 0)
		return;
	if (why)
		fprintf(stderr, "echolot nep-server: client #%u (%s): %s\n",
			c->id, srv_peer(c, p, sizeof(p)), why);
	srv_log(s, "Client #%u (%s) disconnected", c->id,
		srv_peer(c, p, sizeof(p)));
	if (c->timer)
		loop_timer_cancel(&s->loop, c->timer);
	loop_del_fd(&s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->sess->state == NEP_ST_READY)
		s->filter_dirty = true;
	free(c->sess);
	free(c->wbuf);
	c->sess = NULL;
	c->wbuf = NULL;
	c->wlen = 0;
	if (s->once)
		loop_stop(&s->loop, 0);
}

/* Sends queued bytes; what the socket does not take waits for EPOLLOUT. */
static int srv_flush(struct srv *s, struct srv_client *c)
{
	while (c->wlen) {
		ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	loop_mod_fd(&s->loop, c->fd, EPOLLIN | (c->wlen ? EPOLLOUT : 0));
	return 0;
}

static int srv_queue(struct srv *s, struct srv_client *c, const uint8_t *b,
		     size_t n)
{
	if (c->wlen + n > SRV_WBUF_MAX)
		return -1;
	if (c->wlen + n > c->wcap) {
		size_t cap = c->wcap * 2;
		uint8_t *nb;

		while (cap < c->wlen + n)
			cap *= 2;
		if (cap > SRV_WBUF_MAX)
			cap = SRV_WBUF_MAX;
		nb = realloc(c->wbuf, cap);
		if (!nb)
			return -1;
		c->wbuf = nb;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, b, n);
	c->wlen += n;
	return srv_flush(s, c) < 0 ? -2 : 0;
}

static void srv_take_output(struct srv *s, struct srv_client *c)
{
	size_t n;
	const uint8_t *out = nep_session_output(c->sess, &n);

	if (!n)
		return;
	if (srv_queue(s, c, out, n) < 0) {
		nep_session_taken(c->sess, n);
		srv_close(s, c, "send failed");
		return;
	}
	nep_session_taken(c->sess, n);
}

static void srv_spec_line(const struct srv *s, const struct srv_client *c)
{
	const struct nep_spec *sp = &c->sess->spec;
	char line[512], p[80];
	size_t n = 0, i, j;

	for (i = 0; i < sp->nitems && n < sizeof(line) - 64; i++) {
		const struct nep_spec_item *it = &sp->items[i];

		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=",
				      nep_spec_code_name(it->code));
		for (j = 0; j < it->len && j < 8; j++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%02x", sp->area[it->off + j]);
	}
	line[n] = 0;
	srv_log(s, "Packet specification of client #%u (%s): IP=%u Proto=%u "
		   "Cnt=%u%s", c->id, srv_peer(c, p, sizeof(p)),
		sp->ip_version, sp->proto, sp->count, line);
}

static void srv_timeout(struct loop *l, void *arg);

static void srv_on_event(struct srv *s, struct srv_client *c,
			 const struct nep_event *ev)
{
	char p[80];

	if (ev->kind == NEP_EV_FAILED) {
		srv_close(s, c, nep_strerror(ev->err));
		return;
	}
	if (ev->kind != NEP_EV_READY)
		return;
	s->served++;
	if (c->timer)
		loop_timer_cancel(&s->loop, c->timer);
	c->timer = 0;
	if (s->idle_timeout > 0)
		c->timer = loop_timer_at(&s->loop,
					 loop_now_ns() +
						 (int64_t)(s->idle_timeout * 1e9),
					 srv_timeout, c);
	srv_log(s, "NEP handshake with client #%u (%s) was performed "
		   "successfully", c->id, srv_peer(c, p, sizeof(p)));
	if (s->verbose)
		srv_spec_line(s, c);
	s->filter_dirty = true;
}

static void srv_client_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct srv_client *c = arg;
	struct srv *s = (struct srv *)((char *)l - offsetof(struct srv, loop));
	uint8_t buf[4096];
	ssize_t n;
	size_t off = 0;

	if (events & EPOLLOUT && srv_flush(s, c) < 0) {
		srv_close(s, c, NULL);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		srv_close(s, c, NULL);
		return;
	}
	c->sess->now = (uint32_t)time(NULL);
	while (off < (size_t)n && c->fd >= 0) {
		struct nep_event ev;

		off += nep_session_feed(c->sess, buf + off, (size_t)n - off,
					&ev);
		/* The capture must let this client's probes through before
		 * READY goes out: the client starts probing as soon as it
		 * reads it. */
		if (ev.kind == NEP_EV_READY)
			srv_update_filter(s);
		srv_take_output(s, c);
		if (c->fd >= 0 && ev.kind != NEP_EV_NONE)
			srv_on_event(s, c, &ev);
		if (ev.kind == NEP_EV_FAILED || ev.kind == NEP_EV_NONE)
			break;
	}
	if (s->filter_dirty)
		srv_update_filter(s);
}

static void srv_timeout(struct loop *l, void *arg)
{
	struct srv_client *c = arg;
	struct srv *s = (struct srv *)((char *)l - offsetof(struct srv, loop));
	int64_t now = loop_now_ns();

	c->timer = 0;
	if (c->fd < 0)
		return;
	if (c->sess->state != NEP_ST_READY) {
		srv_close(s, c, "handshake timed out");
	} else if (s->idle_timeout > 0) {
		int64_t idle = (int64_t)(s->idle_timeout * 1e9);

		if (now - c->last_ns >= idle)
			srv_close(s, c, "idle timeout");
		else
			c->timer = loop_timer_at(l, c->last_ns + idle,
						 srv_timeout, c);
	}
	if (s->filter_dirty)
		srv_update_filter(s);
}

/*
 * A free slot; when every slot is taken, the oldest client still in its
 * handshake gives way, so a flood of silent connections cannot keep a
 * real client out (READY clients are never evicted).
 */
static struct srv_client *srv_free_slot(struct srv *s)
{
	struct srv_client *oldest = NULL;
	size_t i;

	for (i = 0; i < s->max; i++) {
		struct srv_client *c = &s->cl[i];

		if (c->fd < 0)
			return c;
		if (c->sess->state != NEP_ST_READY &&
		    (!oldest || c->serial < oldest->serial))
			oldest = c;
	}
	if (oldest) {
		bool once = s->once;

		s->once = false; /* an eviction is not the end of --once */
		srv_close(s, oldest, "server full, dropped while in handshake");
		s->once = once;
	}
	return oldest;
}

static void srv_partner(const struct sock_addr *a, struct nep_partner *p)
{
	memset(p, 0, sizeof(*p));
	if (sock_family(a) == AF_INET6) {
		p->version = 6;
		memcpy(p->addr, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       16);
	} else {
		p->version = 4;
		memcpy(p->addr, &((const struct sockaddr_in *)&a->ss)->sin_addr,
		       4);
	}
}

static int srv_start_session(struct srv *s, struct srv_client *c)
{
	struct nep_session_cfg cfg;
	uint8_t seq[4];

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = NEP_ROLE_SERVER;
	cfg.crypto = s->crypto;
	cfg.crypto_lib = s->crypto_lib;
	cfg.pass = (const uint8_t *)s->pass;
	cfg.passlen = s->pass ? strlen(s->pass) : 0;
	if (nep_random(cfg.nonce, sizeof(cfg.nonce)) < 0 ||
	    nep_random(seq, sizeof(seq)) < 0)
		return -1;
	cfg.seq0 = ((uint32_t)seq[0] << 24) | ((uint32_t)seq[1] << 16) |
		   ((uint32_t)seq[2] << 8) | seq[3];
	srv_partner(&c->peer, &cfg.partner);
	c->sess = malloc(sizeof(*c->sess));
	c->wbuf = malloc(SRV_WBUF_MIN);
	c->wcap = SRV_WBUF_MIN;
	if (!c->sess || !c->wbuf)
		return -1;
	return nep_session_init(c->sess, &cfg, (uint32_t)time(NULL)) < 0 ? -1
									 : 0;
}

static void srv_accept(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct srv *s = arg;
	struct srv_client *c;
	struct sock_addr peer;
	char p[80];
	int fd, one = 1, i;

	(void)events;
	peer.len = sizeof(peer.ss);
	fd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = srv_free_slot(s);
	if (!c) {
		/* Full: refuse at once rather than hold a half-open slot. */
		close(fd);
		return;
	}
	/* Each message goes out in one segment without Nagle's delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer = peer;
	c->id = s->next_id++;
	c->serial = s->next_serial++;
	c->last_ns = loop_now_ns();
	srv_log(s, "Connection received from %s", srv_peer(c, p, sizeof(p)));
	if (srv_start_session(s, c) < 0 ||
	    loop_add_fd(l, fd, EPOLLIN, srv_client_io, c) < 0) {
		free(c->sess);
		free(c->wbuf);
		close(fd);
		c->fd = -1;
		return;
	}
	c->timer = loop_timer_at(l, loop_now_ns() +
					    (int64_t)(s->hs_timeout * 1e9),
				 srv_timeout, c);
	srv_take_output(s, c);
	if (s->once && !s->accepted_one) {
		s->accepted_one = true;
		for (i = 0; i < 2; i++)
			if (s->lfd[i] >= 0) {
				loop_del_fd(l, s->lfd[i]);
				close(s->lfd[i]);
				s->lfd[i] = -1;
			}
	}
}

/* ------------------------------------------------------------ capture */

static void srv_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct srv *s = arg;
	const struct nep_spec *specs[1000];
	struct srv_client *order[1000];
	struct srv_client *c;
	size_t n = 0, i;
	int win, m;

	s->captured++;
	/* READY clients in connection order (the rule prefers the later
	 * one on a tie). */
	for (i = 0; i < s->max; i++) {
		size_t j;

		c = &s->cl[i];
		if (c->fd < 0 || c->sess->state != NEP_ST_READY)
			continue;
		for (j = n; j > 0 && order[j - 1]->serial > c->serial; j--)
			order[j] = order[j - 1];
		order[j] = c;
		n++;
	}
	for (i = 0; i < n; i++)
		specs[i] = &order[i]->sess->spec;
	win = nep_match(specs, n, pkt, len);
	if (win < 0) {
		s->unmatched++;
		return;
	}
	c = order[win];
	if (len > sizeof(s->pkt))
		len = sizeof(s->pkt);
	memcpy(s->pkt, pkt, len);
	if (!s->include)
		nep_zero_payload(s->pkt, len);
	c->sess->now = (uint32_t)time(NULL);
	m = nep_session_echo(c->sess, s->pkt, len, s->msg, sizeof(s->msg),
			     NULL);
	if (m < 0)
		return;
	m = srv_queue(s, c, s->msg, (size_t)m);
	if (m == -1) {
		c->dropped++;
		s->dropped++;
		return;
	}
	if (m == -2) {
		srv_close(s, c, NULL);
		return;
	}
	c->echoed++;
	c->last_ns = loop_now_ns();
	s->echoed++;
	s->echoed_bytes += len;
}

static void srv_capture_io(struct loop *l, int fd, uint32_t events,
			   void *arg)
{
	struct srv *s = arg;
	char err[256];

	(void)fd;
	(void)events;
	if (capture_dispatch(&s->cap, 0, srv_packet, s, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "echolot nep-server: %s\n", err);
		loop_stop(l, 2);
	}
	if (s->filter_dirty)
		srv_update_filter(s);
}

static void srv_signal(struct loop *l, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	loop_stop(l, 0);
}

/* ------------------------------------------------------------ setup */

static int srv_listen(int family, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_any;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s",
			 family == AF_INET6 ? "IPv6" : "IPv4", port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int srv_open_listeners(struct srv *s)
{
	char err[256], err6[256] = "";
	int i;

	s->lfd[0] = s->lfd[1] = -1;
	if (!s->v6only) {
		s->lfd[0] = srv_listen(AF_INET, s->port, err, sizeof(err));
		if (s->lfd[0] < 0) {
			fprintf(stderr, "echolot nep-server: %s\n", err);
			return -1;
		}
	}
	if (!s->v4only) {
		s->lfd[1] = srv_listen(AF_INET6, s->port, err6, sizeof(err6));
		/* A host without IPv6 still serves IPv4. */
		if (s->lfd[1] < 0 && s->v6only) {
			fprintf(stderr, "echolot nep-server: %s\n", err6);
			return -1;
		}
	}
	for (i = 0; i < 2; i++)
		if (s->lfd[i] >= 0 &&
		    loop_add_fd(&s->loop, s->lfd[i], EPOLLIN, srv_accept, s) <
			    0)
			return -1;
	return 0;
}

static void srv_summary(const struct srv *s)
{
	double secs = (double)(loop_now_ns() - s->start_ns) / 1e9;
	double pct = s->captured ? 100.0 * (double)s->unmatched /
					   (double)s->captured : 0;

	printf("Raw packets captured: %llu | Echoed: %llu (%lluB) | "
	       "Not matched: %llu (%.2f%%)",
	       (unsigned long long)s->captured,
	       (unsigned long long)s->echoed,
	       (unsigned long long)s->echoed_bytes,
	       (unsigned long long)s->unmatched, pct);
	if (s->dropped)
		printf(" | Dropped (slow client): %llu",
		       (unsigned long long)s->dropped);
	printf("\necholot nep-server: %llu client%s served in %.2f seconds\n",
	       (unsigned long long)s->served, s->served == 1 ? "" : "s", secs);
	fflush(stdout);
}

static int srv_check(const struct srv *s)
{
	if (s->v4only && s->v6only) {
		fprintf(stderr, "echolot nep-server: -4 and -6 exclude each "
				"other\n");
		return 2;
	}
	if (s->crypto && !s->pass) {
		fprintf(stderr, "echolot nep-server: a passphrase is needed "
				"(--passphrase TEXT), or --no-crypto\n");
		return 2;
	}
	if (s->pass && strlen(s->pass) > NEP_PASS_MAX) {
		fprintf(stderr, "echolot nep-server: the passphrase is longer "
				"than %d bytes\n", NEP_PASS_MAX);
		return 2;
	}
	return 0;
}

static int srv_run(struct srv *s)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	char err[256];
	int rc;
	size_t i;

	if (loop_init(&s->loop, s->max * 2 + 8, 4096) < 0) {
		fprintf(stderr, "echolot nep-server: %s\n", strerror(errno));
		return 2;
	}
	/* Capture first, while we may. */
	if (capture_open(&s->cap, s->iface, NEP_ECHO_MAX_PACKET, err,
			 sizeof(err)) < 0) {
		fprintf(stderr, "echolot nep-server: %s\n", err);
		return 2;
	}
	s->cl = calloc(s->max, sizeof(*s->cl));
	if (!s->cl)
		return 2;
	for (i = 0; i < s->max; i++)
		s->cl[i].fd = -1;
	srv_update_filter(s);
	if (srv_open_listeners(s) < 0)
		return 2;
	if (priv_drop(s->user, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot nep-server: %s\n", err);
		return 2;
	}
	if (loop_add_fd(&s->loop, s->cap.fd, EPOLLIN, srv_capture_io, s) <
		    0 ||
	    loop_signals(&s->loop, sigs, 2, srv_signal, s) < 0) {
		fprintf(stderr, "echolot nep-server: %s\n", strerror(errno));
		return 2;
	}
	/* libcrypto loads, and OpenSSL reads its configuration, with the
	 * privileges dropped and before the first client's handshake. */
	if (s->crypto && !(s->crypto_lib = nep_crypto_open(err, sizeof(err)))) {
		fprintf(stderr, "echolot nep-server: %s\n", err);
		return 2;
	}
	s->start_ns = loop_now_ns();
	srv_log(s, "echolot nep-server listening on port %u (%s), capturing "
		   "on %s", s->port, s->crypto ? "encrypted" : "no crypto",
		s->iface ? s->iface : "every interface");
	rc = loop_run(&s->loop);
	for (i = 0; i < s->max; i++)
		srv_close(s, &s->cl[i], NULL);
	srv_summary(s);
	capture_close(&s->cap);
	nep_crypto_close(s->crypto_lib);
	free(s->cl);
	loop_free(&s->loop);
	if (rc)
		return rc;
	/* With --once, the session is the result. */
	return s->once && s->served == 0 ? 1 : 0;
}

int cmd_nep_server_main(int argc, char **argv)
{
	struct srv *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return 2;
	s->port = NEP_PORT;
	s->crypto = true;
	s->max = 100;
	s->hs_timeout = 10;
	rc = cmd_parse(&cmd_nep_server_opts, argc, argv, srv_opt, s);
	if (rc == CMD_CONTINUE) {
		rc = srv_check(s);
		if (rc == 0)
			rc = srv_run(s);
	}
	free(s);
	return rc;
}
