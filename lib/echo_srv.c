/*
 * echo_srv - the hardened echo server's sockets and event handlers.
 */
#include "echo_srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define ECHO_SRV_BATCH 32   /* datagrams per recvmmsg */
#define ECHO_SRV_ACCEPTS 64 /* accepts per wakeup, so UDP is not starved */
#define ECHO_SRV_READS 16   /* reads per connection per wakeup */

/* A connection is registered once, edge-triggered, for both directions,
 * and never modified: a level-triggered fd goes back on epoll's ready list
 * after every report and is polled again on the next wait (in vain, once
 * it was drained), and switching EPOLLOUT on and off costs an epoll_ctl
 * each time. With edges, a short read means drained (new bytes bring a new
 * edge) - except for a FIN or error that came with the bytes: that edge is
 * spent, so EPOLLRDHUP/HUP/ERR make us read on to the EOF. EPOLLOUT only
 * reports once a full send buffer has room. */
#define ECHO_CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

struct echo_conn {
	struct echo_srv *srv;
	int fd;
	struct echo_key key;
	struct sockaddr_storage peer;
	uint8_t *buf;
	size_t head, len; /* unsent bytes are buf[head .. head+len) */
	int64_t last_ns;  /* when the sweep last saw bytes move */
	bool moved;	  /* bytes moved since the last sweep */
	bool starved;	  /* stopped reading before the socket was drained */
	bool peer_shut;	  /* FIN or error seen: read until EOF, not short */
	bool peer_eof;
	bool used;
};

union echo_cmsg {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		    CMSG_SPACE(sizeof(struct in_pktinfo))];
};

struct echo_udp_batch {
	struct mmsghdr rx[ECHO_SRV_BATCH];
	struct iovec rx_iov[ECHO_SRV_BATCH];
	struct sockaddr_storage from[ECHO_SRV_BATCH];
	union echo_cmsg rx_cmsg[ECHO_SRV_BATCH];
	struct mmsghdr tx[ECHO_SRV_BATCH];
	struct iovec tx_iov[ECHO_SRV_BATCH];
	union echo_cmsg tx_cmsg[ECHO_SRV_BATCH];
};

static void echo_srv_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void echo_srv_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void echo_srv_log(struct echo_srv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One event line, unless the log rate is used up (then it is counted and
 * the next line that gets through says how many were held back). */
static void echo_srv_log(struct echo_srv *s, const char *fmt, ...)
{
	uint64_t held;
	va_list ap;

	if (!s->cfg.log ||
	    !echo_lograte_allow(&s->lograte, loop_now_ns(), &held))
		return;
	if (held)
		fprintf(s->cfg.log, "echolot echo: %llu log lines suppressed\n",
			(unsigned long long)held);
	fputs("echolot echo: ", s->cfg.log);
	va_start(ap, fmt);
	vfprintf(s->cfg.log, fmt, ap);
	va_end(ap);
	fputc('\n', s->cfg.log);
	fflush(s->cfg.log);
}

void echo_srv_cfg_default(struct echo_srv_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tcp = cfg->udp = true;
	echo_ports_default(&cfg->refused);
	cfg->max_datagram = ECHO_SRV_DEF_MAX_DATAGRAM;
	cfg->rate = ECHO_SRV_DEF_RATE;
	cfg->burst = ECHO_SRV_DEF_BURST;
	cfg->global_rate = ECHO_SRV_DEF_GLOBAL_RATE;
	cfg->src_sets = ECHO_SRV_DEF_SRC_SETS;
	cfg->max_conns = ECHO_SRV_DEF_MAX_CONNS;
	cfg->max_conns_source = ECHO_SRV_DEF_MAX_CONNS_SOURCE;
	cfg->idle_timeout = ECHO_SRV_DEF_IDLE;
	cfg->tcp_buffer = ECHO_SRV_DEF_TCP_BUFFER;
}

/* --- opening --- */

static int echo_srv_socket(const struct sock_addr *a, int type, char *err,
			   size_t errlen)
{
	int one = 1, fd, fam = sock_family(a);
	char name[80];

	fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* TCP only: a restart must not wait out TIME_WAIT. On UDP the
	 * option would let another socket share our port and its traffic. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:7 must not also take 0.0.0.0:7: each --listen is one
	 * address, and the v4 rules see v4 sources as v4. */
	if (fam == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (type == SOCK_DGRAM) {
		/* The destination address tells broadcast from unicast and
		 * is the source of our reply on a wildcard socket. */
		if (fam == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024) < 0)
		goto fail;
	return fd;
fail:
	echo_srv_errf(err, errlen, "cannot listen on %s (%s): %s",
		      echo_addr_str((const struct sockaddr *)&a->ss, name,
				    sizeof(name)),
		      type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The directed broadcast addresses of the local interfaces. */
static size_t echo_srv_broadcasts(uint32_t *out, size_t cap)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;
	uint32_t b;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && n < cap; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_BROADCAST) || !i->ifa_broadaddr)
			continue;
		b = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr.s_addr;
		/* Without a "brd", getifaddrs reports the address itself
		 * here: that is our unicast address, not a broadcast one. */
		if (b == 0 ||
		    b == ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr)
			continue;
		out[n++] = b;
	}
	freeifaddrs(ifa);
	return n;
}

int echo_srv_open(struct echo_srv *s, const struct echo_srv_cfg *cfg, char *err,
		  size_t errlen)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	for (i = 0; i < ECHO_SRV_LISTEN_MAX; i++)
		s->tcp_fd[i] = s->udp_fd[i] = -1;
	s->sweep_fd = -1;
	for (i = 0; i < cfg->nlisten; i++) {
		const struct sock_addr *a = &cfg->listen[i];

		s->nsock = i + 1;
		if (cfg->tcp) {
			s->tcp_fd[i] =
				echo_srv_socket(a, SOCK_STREAM, err, errlen);
			if (s->tcp_fd[i] < 0)
				goto fail;
		}
		if (cfg->udp) {
			s->udp_fd[i] =
				echo_srv_socket(a, SOCK_DGRAM, err, errlen);
			if (s->udp_fd[i] < 0)
				goto fail;
			if (s->pol.nself < 16)
				s->pol.self_ports[s->pol.nself++] =
					sock_port(a);
		}
	}
	s->pol.refused = cfg->refused;
	s->pol.max_datagram = cfg->max_datagram;
	s->pol.nbcast = echo_srv_broadcasts(s->bcast, 32);
	s->pol.bcast = s->bcast;
	return 0;
fail:
	echo_srv_close(s);
	return -1;
}

/* --- TCP --- */

static void echo_conn_close(struct echo_conn *c)
{
	struct echo_srv *s = c->srv;

	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->used = false;
	s->nconns--;
	s->c.tcp_active--;
}

/* Sends what is buffered; false when the connection failed. */
static bool echo_conn_flush(struct echo_conn *c)
{
	while (c->len > 0) {
		ssize_t w = send(c->fd, c->buf + c->head, c->len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		/* EAGAIN: the EPOLLOUT edge tells when there is room. */
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->head += (size_t)w;
		c->len -= (size_t)w;
		c->srv->c.tcp_bytes_echoed += (uint64_t)w;
		c->moved = true;
	}
	c->head = 0;
	return true;
}

/* Room at the tail; moves the unsent bytes to the front when the tail is
 * short, so reads stay large. */
static size_t echo_conn_room(struct echo_conn *c)
{
	size_t cap = c->srv->cfg.tcp_buffer;

	if (c->head > 0 && cap - c->head - c->len < cap / 4) {
		memmove(c->buf, c->buf + c->head, c->len);
		c->head = 0;
	}
	return cap - c->head - c->len;
}

/* Reads and echoes until the socket is drained, the peer is done, or we
 * stop early - the buffer is full (backpressure: a peer that does not read
 * finds us not reading either) or this wakeup had its share of reads. An
 * early stop leaves bytes that no new edge announces: starved says so. */
static bool echo_conn_read(struct echo_conn *c)
{
	int i;

	c->starved = false;
	for (i = 0; !c->peer_eof; i++) {
		size_t room = echo_conn_room(c);
		ssize_t r;

		if (room == 0 || i == ECHO_SRV_READS) {
			c->starved = true;
			break;
		}
		r = recv(c->fd, c->buf + c->head + c->len, room, MSG_DONTWAIT);
		if (r == 0) {
			c->peer_eof = true;
		} else if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno != EINTR)
				return false;
		} else {
			c->len += (size_t)r;
			c->moved = true;
			if (!echo_conn_flush(c))
				return false;
			if ((size_t)r < room && !c->peer_shut)
				break; /* drained: the next bytes bring an edge */
		}
	}
	return true;
}

static void echo_conn_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct echo_conn *c = arg;
	bool ok = true;

	(void)fd;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->peer_shut = true;
	/* Sending first frees room for what a starved read left behind. */
	if (events & EPOLLOUT)
		ok = echo_conn_flush(c);
	if (ok && (c->starved || c->peer_shut || (events & EPOLLIN)))
		ok = echo_conn_read(c);
	if (ok && c->peer_eof && c->len == 0) {
		shutdown(c->fd, SHUT_WR); /* everything echoed: done */
		ok = false;
	}
	/* Stopped by the read share with room left: re-registering makes
	 * epoll report the bytes still waiting. A full buffer needs nothing:
	 * the EPOLLOUT edge of our pending send comes first. */
	if (ok && c->starved && echo_conn_room(c) > 0)
		ok = loop_mod_fd(l, c->fd, ECHO_CONN_EVENTS) == 0;
	if (!ok)
		echo_conn_close(c);
}

static size_t echo_srv_from_source(const struct echo_srv *s,
				   const struct echo_key *k)
{
	size_t i, n = 0;

	for (i = 0; i < s->cfg.max_conns; i++)
		if (s->conns[i].used && echo_key_eq(&s->conns[i].key, k))
			n++;
	return n;
}

static struct echo_conn *echo_srv_free_slot(struct echo_srv *s)
{
	size_t i;

	for (i = 0; i < s->cfg.max_conns; i++)
		if (!s->conns[i].used)
			return &s->conns[i];
	return NULL;
}

static void echo_srv_refuse_conn(struct echo_srv *s, int fd,
				 const struct sockaddr *peer,
				 enum echo_conn_verdict v)
{
	char name[80];

	if (v == ECHO_CONN_REFUSE_TOTAL)
		s->c.tcp_refused_total++;
	else
		s->c.tcp_refused_source++;
	close(fd);
	echo_srv_log(s, "refused tcp from %s (%s)",
		     echo_addr_str(peer, name, sizeof(name)),
		     v == ECHO_CONN_REFUSE_TOTAL ? "max-conns"
						 : "max-conns-per-source");
}

static void echo_srv_accept_one(struct echo_srv *s, int fd,
				const struct sockaddr_storage *peer)
{
	const struct sockaddr *sa = (const struct sockaddr *)peer;
	enum echo_conn_verdict v;
	struct echo_conn *c;
	struct echo_key k;
	int one = 1;

	echo_key_from(&k, sa);
	v = echo_conn_admit(s->nconns,
			    s->nconns ? echo_srv_from_source(s, &k) : 0,
			    s->cfg.max_conns, s->cfg.max_conns_source);
	c = v == ECHO_CONN_OK ? echo_srv_free_slot(s) : NULL;
	if (!c) {
		echo_srv_refuse_conn(s, fd, sa,
				     v == ECHO_CONN_OK ? ECHO_CONN_REFUSE_TOTAL
						       : v);
		return;
	}
	memset(c, 0, sizeof(*c));
	/* We write whatever part of the stream we hold: without NODELAY a
	 * message larger than the buffer leaves a short tail waiting for
	 * the peer's delayed ACK (40 ms a round trip). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->buf = malloc(s->cfg.tcp_buffer);
	if (!c->buf ||
	    loop_add_fd(s->loop, fd, ECHO_CONN_EVENTS, echo_conn_event, c) <
		    0) {
		free(c->buf);
		c->buf = NULL;
		s->c.tcp_refused_total++;
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->key = k;
	c->peer = *peer;
	c->last_ns = loop_now_ns();
	c->used = true;
	s->nconns++;
	s->c.tcp_accepted++;
	s->c.tcp_active++;
	if (s->c.tcp_active > s->c.tcp_peak)
		s->c.tcp_peak = s->c.tcp_active;
}

static void echo_srv_on_accept(struct loop *l, int lfd, uint32_t events,
			       void *arg)
{
	struct echo_srv *s = arg;
	int i;

	(void)l;
	(void)events;
	for (i = 0; i < ECHO_SRV_ACCEPTS; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				echo_srv_log(s, "accept: %s", strerror(errno));
			return;
		}
		echo_srv_accept_one(s, fd, &peer);
	}
}

/* Closes connections where nothing moved for idle_timeout: the bound on
 * how long a peer that stopped reading (or never sends) holds a slot. */
static void echo_srv_sweep(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct echo_srv *s = arg;
	int64_t now = loop_now_ns();
	int64_t idle = (int64_t)(s->cfg.idle_timeout * 1e9);
	uint64_t expiries;
	size_t i;

	(void)l;
	(void)events;
	if (read(fd, &expiries, sizeof(expiries)) < 0)
		return; /* EAGAIN: woken for nothing */
	for (i = 0; i < s->cfg.max_conns; i++) {
		struct echo_conn *c = &s->conns[i];

		if (!c->used)
			continue;
		/* A flag per event instead of a clock read per event: the
		 * sweep turns it into a time, so a connection goes after
		 * between idle_timeout and 1.25 times it. */
		if (c->moved) {
			c->moved = false;
			c->last_ns = now;
		} else if (now - c->last_ns >= idle) {
			s->c.tcp_idle_closed++;
			echo_conn_close(c);
		}
	}
}

/* The sweep runs off a periodic timerfd, not a loop timer: with a loop
 * timer pending, every wait of the loop is a wait with a timeout, and the
 * kernel arms and cancels a high-resolution timer for each one - 4-6 % of
 * the server's CPU per round trip on one connection here. The timerfd is
 * armed once. */
static int echo_srv_sweep_start(struct echo_srv *s)
{
	int64_t every = (int64_t)(s->cfg.idle_timeout * 1e9) / 4 + 1000000;
	struct itimerspec its;

	s->sweep_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->sweep_fd < 0)
		return -1;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 1; /* the first sweep after a second */
	its.it_interval.tv_sec = (time_t)(every / 1000000000);
	its.it_interval.tv_nsec = (long)(every % 1000000000);
	if (timerfd_settime(s->sweep_fd, 0, &its, NULL) < 0)
		return -1;
	return loop_add_fd(s->loop, s->sweep_fd, EPOLLIN, echo_srv_sweep, s);
}

/* --- UDP --- */

/* The destination address of a received datagram, from IP(V6)_PKTINFO. */
static bool echo_udp_dst(struct msghdr *m, struct sockaddr_storage *dst,
			 int *ifindex)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *d = (struct sockaddr_in *)dst;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(d, 0, sizeof(*d));
			d->sin_family = AF_INET;
			d->sin_addr = pi.ipi_addr;
			*ifindex = pi.ipi_ifindex;
			return true;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *d = (struct sockaddr_in6 *)dst;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(d, 0, sizeof(*d));
			d->sin6_family = AF_INET6;
			d->sin6_addr = pi.ipi6_addr;
			*ifindex = (int)pi.ipi6_ifindex;
			return true;
		}
	}
	return false;
}

/* The reply leaves from the address the request was sent to (it matters
 * on a wildcard socket of a host with several addresses). */
static size_t echo_udp_src_cmsg(union echo_cmsg *cb,
				const struct sockaddr_storage *dst, int ifindex)
{
	struct cmsghdr *cm = (struct cmsghdr *)cb->buf;

	memset(cb, 0, sizeof(*cb));
	if (dst->ss_family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = ((const struct sockaddr_in *)dst)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (dst->ss_family == AF_INET6) {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = ((const struct sockaddr_in6 *)dst)->sin6_addr;
		pi.ipi6_ifindex = (unsigned)ifindex;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

static void echo_udp_prepare_rx(struct echo_srv *s, struct echo_udp_batch *b)
{
	size_t slot = s->cfg.max_datagram + 1, i;

	for (i = 0; i < ECHO_SRV_BATCH; i++) {
		struct msghdr *m = &b->rx[i].msg_hdr;

		b->rx_iov[i].iov_base = s->udp_buf + i * slot;
		b->rx_iov[i].iov_len = slot;
		memset(m, 0, sizeof(*m));
		m->msg_name = &b->from[i];
		m->msg_namelen = sizeof(b->from[i]);
		m->msg_iov = &b->rx_iov[i];
		m->msg_iovlen = 1;
		m->msg_control = b->rx_cmsg[i].buf;
		m->msg_controllen = sizeof(b->rx_cmsg[i].buf);
	}
}

/* All rules, then the buckets: ECHO_OK when this datagram gets a reply. */
static enum echo_verdict echo_udp_judge(struct echo_srv *s, struct mmsghdr *mm,
					const struct sockaddr_storage *dst,
					bool have_dst, int64_t now)
{
	const struct sockaddr *src = mm->msg_hdr.msg_name;
	size_t len = mm->msg_len;
	enum echo_verdict v;

	/* A datagram cut by our buffer was longer than max_datagram. */
	if (mm->msg_hdr.msg_flags & MSG_TRUNC)
		len = s->cfg.max_datagram + 1;
	v = echo_udp_check(&s->pol, src,
			   have_dst ? (const struct sockaddr *)dst : NULL, len);
	if (v != ECHO_OK)
		return v;
	if (!echo_src_take(&s->src, src, now))
		return ECHO_REFUSE_RATE_SOURCE;
	if (!echo_bucket_take(&s->global, s->cfg.global_rate,
			      s->cfg.global_rate, now))
		return ECHO_REFUSE_RATE_GLOBAL;
	return ECHO_OK;
}

static void echo_udp_refused(struct echo_srv *s, const struct sockaddr *src,
			     enum echo_verdict v, size_t len)
{
	char name[80];

	s->c.udp_refused[v]++;
	echo_srv_log(s, "refused udp from %s, %zu bytes (%s)",
		     echo_addr_str(src, name, sizeof(name)), len,
		     echo_verdict_name(v));
}

static void echo_udp_send(struct echo_srv *s, int fd, struct echo_udp_batch *b,
			  unsigned ntx)
{
	unsigned done = 0;

	while (done < ntx) {
		int n = sendmmsg(fd, b->tx + done, ntx - done, MSG_DONTWAIT);
		unsigned i;

		if (n <= 0) {
			/* A full socket buffer drops the rest: a reply is
			 * sent whole or not at all. */
			s->c.send_errors += ntx - done;
			return;
		}
		for (i = done; i < done + (unsigned)n; i++) {
			s->c.udp_echoed++;
			s->c.udp_bytes_echoed += b->tx_iov[i].iov_len;
		}
		done += (unsigned)n;
	}
}

/* One batch: judge each datagram and answer the admitted ones with
 * exactly the bytes they carried. Returns how many were read. */
static int echo_udp_batch_once(struct echo_srv *s, int fd)
{
	struct echo_udp_batch *b = s->udp_batch;
	int64_t now = loop_now_ns();
	unsigned ntx = 0;
	int n, i;

	echo_udp_prepare_rx(s, b);
	n = recvmmsg(fd, b->rx, ECHO_SRV_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct sockaddr_storage dst;
		int ifindex = 0;
		bool have_dst = echo_udp_dst(&b->rx[i].msg_hdr, &dst, &ifindex);
		enum echo_verdict v;
		struct msghdr *m;

		s->c.udp_received++;
		v = echo_udp_judge(s, &b->rx[i], &dst, have_dst, now);
		if (v != ECHO_OK) {
			echo_udp_refused(s, b->rx[i].msg_hdr.msg_name, v,
					 b->rx[i].msg_len);
			continue;
		}
		m = &b->tx[ntx].msg_hdr;
		memset(m, 0, sizeof(*m));
		b->tx_iov[ntx].iov_base = b->rx_iov[i].iov_base;
		b->tx_iov[ntx].iov_len = b->rx[i].msg_len;
		m->msg_name = b->rx[i].msg_hdr.msg_name;
		m->msg_namelen = b->rx[i].msg_hdr.msg_namelen;
		m->msg_iov = &b->tx_iov[ntx];
		m->msg_iovlen = 1;
		if (have_dst) {
			m->msg_control = b->tx_cmsg[ntx].buf;
			m->msg_controllen = echo_udp_src_cmsg(&b->tx_cmsg[ntx],
							      &dst, ifindex);
		}
		ntx++;
	}
	if (ntx)
		echo_udp_send(s, fd, b, ntx);
	return n;
}

static void echo_srv_on_udp(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct echo_srv *s = arg;
	int round;

	(void)l;
	(void)events;
	/* A few batches, then back to the loop so TCP gets its turn. */
	for (round = 0; round < 4; round++)
		if (echo_udp_batch_once(s, fd) < ECHO_SRV_BATCH)
			break;
}

/* --- start, close --- */

int echo_srv_start(struct echo_srv *s, struct loop *l, char *err, size_t errlen)
{
	int64_t now = loop_now_ns();
	size_t i;

	s->loop = l;
	s->conns = calloc(s->cfg.max_conns ? s->cfg.max_conns : 1,
			  sizeof(*s->conns));
	s->udp_buf = malloc(ECHO_SRV_BATCH * (s->cfg.max_datagram + 1));
	s->udp_batch = calloc(1, sizeof(struct echo_udp_batch));
	if (!s->conns || !s->udp_buf || !s->udp_batch ||
	    echo_src_init(&s->src, s->cfg.src_sets, s->cfg.rate, s->cfg.burst) <
		    0) {
		echo_srv_errf(err, errlen, "out of memory");
		return -1;
	}
	echo_bucket_init(&s->global, s->cfg.global_rate, now);
	echo_lograte_init(&s->lograte, ECHO_SRV_LOG_RATE, ECHO_SRV_LOG_BURST,
			  now);
	for (i = 0; i < s->nsock; i++) {
		if ((s->tcp_fd[i] >= 0 &&
		     loop_add_fd(l, s->tcp_fd[i], EPOLLIN, echo_srv_on_accept,
				 s) < 0) ||
		    (s->udp_fd[i] >= 0 &&
		     loop_add_fd(l, s->udp_fd[i], EPOLLIN, echo_srv_on_udp, s) <
			     0)) {
			echo_srv_errf(err, errlen, "event loop: %s",
				      strerror(errno));
			return -1;
		}
	}
	if (s->cfg.tcp && echo_srv_sweep_start(s) < 0) {
		echo_srv_errf(err, errlen, "idle timer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void echo_srv_close(struct echo_srv *s)
{
	size_t i;

	for (i = 0; s->conns && i < s->cfg.max_conns; i++)
		if (s->conns[i].used)
			echo_conn_close(&s->conns[i]);
	for (i = 0; i < s->nsock; i++) {
		if (s->tcp_fd[i] >= 0) {
			if (s->loop)
				loop_del_fd(s->loop, s->tcp_fd[i]);
			close(s->tcp_fd[i]);
		}
		if (s->udp_fd[i] >= 0) {
			if (s->loop)
				loop_del_fd(s->loop, s->udp_fd[i]);
			close(s->udp_fd[i]);
		}
		s->tcp_fd[i] = s->udp_fd[i] = -1;
	}
	if (s->sweep_fd >= 0) {
		if (s->loop)
			loop_del_fd(s->loop, s->sweep_fd);
		close(s->sweep_fd);
	}
	s->sweep_fd = -1;
	free(s->conns);
	free(s->udp_buf);
	free(s->udp_batch);
	echo_src_free(&s->src);
	s->conns = NULL;
	s->udp_buf = NULL;
	s->udp_batch = NULL;
	s->nsock = 0;
}

/* --- counters --- */

int echo_srv_write_counters(const struct echo_srv_counters *c, FILE *out)
{
	int v;

	fprintf(out,
		"tcp: accepted %llu | active %llu | peak %llu | bytes echoed "
		"%llu\n",
		(unsigned long long)c->tcp_accepted,
		(unsigned long long)c->tcp_active,
		(unsigned long long)c->tcp_peak,
		(unsigned long long)c->tcp_bytes_echoed);
	fprintf(out,
		"tcp refused: max-conns %llu | max-conns-per-source %llu | "
		"idle-closed %llu\n",
		(unsigned long long)c->tcp_refused_total,
		(unsigned long long)c->tcp_refused_source,
		(unsigned long long)c->tcp_idle_closed);
	fprintf(out,
		"udp: received %llu | echoed %llu | bytes echoed %llu | "
		"send errors %llu\n",
		(unsigned long long)c->udp_received,
		(unsigned long long)c->udp_echoed,
		(unsigned long long)c->udp_bytes_echoed,
		(unsigned long long)c->send_errors);
	fputs("udp refused:", out);
	for (v = ECHO_OK + 1; v < ECHO_VERDICT_COUNT; v++)
		fprintf(out, "%s %s %llu", v == ECHO_OK + 1 ? "" : " |",
			echo_verdict_name((enum echo_verdict)v),
			(unsigned long long)c->udp_refused[v]);
	fputc('\n', out);
	return fflush(out) == 0 ? 0 : -1;
}

int echo_srv_json_counters(struct json_writer *w,
			   const struct echo_srv_counters *c)
{
	int v;

	json_begin_object(w);
	json_kv_int(w, "version", 1);
	json_kv_string(w, "type", "echo-server-counters");
	json_key(w, "tcp");
	json_begin_object(w);
	json_kv_uint(w, "accepted", c->tcp_accepted);
	json_kv_uint(w, "active", c->tcp_active);
	json_kv_uint(w, "peak", c->tcp_peak);
	json_kv_uint(w, "bytes_echoed", c->tcp_bytes_echoed);
	json_kv_uint(w, "refused_max_conns", c->tcp_refused_total);
	json_kv_uint(w, "refused_max_conns_per_source", c->tcp_refused_source);
	json_kv_uint(w, "idle_closed", c->tcp_idle_closed);
	json_end_object(w);
	json_key(w, "udp");
	json_begin_object(w);
	json_kv_uint(w, "received", c->udp_received);
	json_kv_uint(w, "echoed", c->udp_echoed);
	json_kv_uint(w, "bytes_echoed", c->udp_bytes_echoed);
	json_kv_uint(w, "send_errors", c->send_errors);
	json_key(w, "refused");
	json_begin_object(w);
	for (v = ECHO_OK + 1; v < ECHO_VERDICT_COUNT; v++)
		json_kv_uint(w, echo_verdict_name((enum echo_verdict)v),
			     c->udp_refused[v]);
	json_end_object(w);
	json_end_object(w);
	json_end_object(w);
	return json_status(w);
}
