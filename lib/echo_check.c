/*
 * echo_check - exposure check of echo and chargen. Every probe is bounded
 * in count and time: one connection or at most two datagrams per port,
 * and ECHO_RATE_PROBES datagrams for the replies/s test.
 */
#include "echo_check.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define ECHO_PROBE "echolot-check\r\n"
#define ECHO_CHARGEN_CAP 4096 /* stop reading a chargen stream here */

const char *echo_state_name(enum echo_state s)
{
	switch (s) {
	case ECHO_ST_OPEN:
		return "open";
	case ECHO_ST_CLOSED:
		return "closed";
	case ECHO_ST_FILTERED:
		return "filtered";
	case ECHO_ST_OPEN_FILTERED:
		return "open|filtered";
	case ECHO_ST_ERROR:
		return "error";
	}
	return "?";
}

/* One byte as text: itself when printable, else \n \r or \xNN. */
static size_t echo_sample_byte(uint8_t c, char *out)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	if (c == '\n' || c == '\r') {
		out[1] = c == '\n' ? 'n' : 'r';
		return 2;
	}
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

size_t echo_sample_text(const uint8_t *b, size_t n, char *buf, size_t len)
{
	size_t need = 2, used = 0, i;
	char one[4];

	for (i = 0; i < n; i++)
		need += echo_sample_byte(b[i], one);
	if (len < need + 1) {
		if (len)
			buf[0] = '\0';
		return need;
	}
	buf[used++] = '"';
	for (i = 0; i < n; i++) {
		size_t k = echo_sample_byte(b[i], one);

		memcpy(buf + used, one, k);
		used += k;
	}
	buf[used++] = '"';
	buf[used] = '\0';
	return need;
}

const char *echo_risk_name(enum echo_risk r)
{
	switch (r) {
	case ECHO_RISK_NONE:
		return "none";
	case ECHO_RISK_LOW:
		return "low";
	case ECHO_RISK_MEDIUM:
		return "medium";
	case ECHO_RISK_HIGH:
		return "high";
	}
	return "?";
}

/* Waits for events on fd for at most ms; the poll revents or 0. */
static int echo_wait(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t end = loop_now_ns() + (int64_t)ms * 1000000;

	for (;;) {
		int64_t left = (end - loop_now_ns()) / 1000000;
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

static int echo_ms_of(double s)
{
	return (int)(s * 1000.0 + 0.5);
}

static void echo_keep_sample(struct echo_port_result *r, const uint8_t *b,
			     size_t n)
{
	size_t room = sizeof(r->sample) - r->sample_len;

	if (n > room)
		n = room;
	memcpy(r->sample + r->sample_len, b, n);
	r->sample_len += n;
}

/* --- TCP --- */

static void echo_tcp_read_answer(struct echo_port_result *r, int fd,
				 const struct echo_check_cfg *cfg)
{
	uint8_t buf[2048];
	int64_t start = loop_now_ns();
	int ms = echo_ms_of(cfg->timeout);

	if (r->svc == ECHO_SVC_ECHO) {
		ssize_t w = send(fd, ECHO_PROBE, sizeof(ECHO_PROBE) - 1,
				 MSG_NOSIGNAL);

		if (w > 0)
			r->bytes_sent = (uint64_t)w;
	}
	while (r->bytes_back <
	       (r->svc == ECHO_SVC_ECHO ? r->bytes_sent : ECHO_CHARGEN_CAP)) {
		ssize_t n;

		if (!(echo_wait(fd, POLLIN, ms) & (POLLIN | POLLHUP | POLLERR)))
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		if (r->rtt_ns < 0)
			r->rtt_ns = loop_now_ns() - start;
		echo_keep_sample(r, buf, (size_t)n);
		r->bytes_back += (uint64_t)n;
	}
	if (r->bytes_back)
		snprintf(r->evidence, sizeof(r->evidence),
			 "connected, %llu bytes back",
			 (unsigned long long)r->bytes_back);
	else
		snprintf(r->evidence, sizeof(r->evidence),
			 "connected, no bytes back within %gs", cfg->timeout);
}

static void echo_probe_tcp(const struct echo_check_cfg *cfg,
			   const struct sock_addr *dst,
			   struct echo_port_result *r)
{
	int fd = socket(sock_family(dst),
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0) {
		r->state = ECHO_ST_ERROR;
		snprintf(r->evidence, sizeof(r->evidence), "socket: %s",
			 strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) < 0 &&
	    errno != EINPROGRESS)
		err = errno;
	else if (!echo_wait(fd, POLLOUT, echo_ms_of(cfg->timeout)))
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	switch (err) {
	case 0:
		r->state = ECHO_ST_OPEN;
		echo_tcp_read_answer(r, fd, cfg);
		break;
	case ECONNREFUSED:
		r->state = ECHO_ST_CLOSED;
		snprintf(r->evidence, sizeof(r->evidence),
			 "TCP reset (connection refused)");
		break;
	case ETIMEDOUT:
		r->state = ECHO_ST_FILTERED;
		snprintf(r->evidence, sizeof(r->evidence),
			 "no answer to the SYN within %gs", cfg->timeout);
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EACCES:
	case EPERM:
		r->state = ECHO_ST_FILTERED;
		snprintf(r->evidence, sizeof(r->evidence),
			 "ICMP unreachable (%s)", strerror(err));
		break;
	default:
		r->state = ECHO_ST_ERROR;
		snprintf(r->evidence, sizeof(r->evidence), "connect: %s",
			 strerror(err));
	}
	close(fd);
}

/* --- UDP --- */

/* A connected UDP socket to dst, from src_port when it is not 0. */
static int echo_udp_socket(const struct sock_addr *dst, uint16_t src_port,
			   char *why, size_t whylen)
{
	int fam = sock_family(dst), one = 1;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sock_addr local;

	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The kernel queues ICMP errors about our datagrams with who sent
	 * them, type and code: the evidence for "closed" and "filtered". */
	if (fam == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) < 0) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!src_port)
		return fd;
	/* Learn the source address the route picks, then rebind the same
	 * address with the service port (a wildcard bind could collide with
	 * a local resolver on 127.0.0.53:53). */
	local.len = sizeof(local.ss);
	if (getsockname(fd, (struct sockaddr *)&local.ss, &local.len) < 0) {
		snprintf(why, whylen, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	sock_set_port(&local, src_port);
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local.ss, local.len) < 0) {
		snprintf(why, whylen, "not tested: cannot bind port %u (%s)",
			 (unsigned)src_port,
			 errno == EACCES ? "needs root or "
					   "CAP_NET_BIND_SERVICE"
					 : strerror(errno));
		close(fd);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) < 0) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one queued ICMP error: the state it proves and its evidence. */
static enum echo_state echo_udp_icmp(int fd, char *ev, size_t evlen)
{
	uint8_t ctl[512], dummy[64];
	struct iovec iov = {dummy, sizeof(dummy)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;

	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
		snprintf(ev, evlen, "ICMP error (%s)", strerror(errno));
		return ECHO_ST_CLOSED;
	}
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		struct sock_extended_err ee;
		bool v6 = cm->cmsg_level == IPPROTO_IPV6;
		bool port_unreach;

		if (!((cm->cmsg_level == IPPROTO_IP &&
		       cm->cmsg_type == IP_RECVERR) ||
		      (v6 && cm->cmsg_type == IPV6_RECVERR)))
			continue;
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		port_unreach = v6 ? (ee.ee_type == ICMP6_DST_UNREACH &&
				     ee.ee_code == ICMP6_DST_UNREACH_NOPORT)
				  : (ee.ee_type == ICMP_DEST_UNREACH &&
				     ee.ee_code == ICMP_PORT_UNREACH);
		if (port_unreach) {
			snprintf(ev, evlen, "ICMP%s port unreachable",
				 v6 ? "v6" : "");
			return ECHO_ST_CLOSED;
		}
		snprintf(ev, evlen, "ICMP%s type %u code %u (%s)",
			 v6 ? "v6" : "", ee.ee_type, ee.ee_code,
			 strerror((int)ee.ee_errno));
		return ECHO_ST_FILTERED;
	}
	snprintf(ev, evlen, "ICMP error");
	return ECHO_ST_CLOSED;
}

/*
 * Sends len bytes and waits for one datagram back. Returns the byte count
 * back, -1 on silence, -2 on an ICMP error (state/evidence in *st, ev).
 */
static ssize_t echo_udp_exchange(int fd, const uint8_t *msg, size_t len,
				 uint8_t *back, size_t cap, int ms,
				 enum echo_state *st, char *ev, size_t evlen)
{
	int rev;
	ssize_t n;

	if (send(fd, msg, len, 0) < 0) {
		if (errno == ECONNREFUSED) {
			*st = echo_udp_icmp(fd, ev, evlen);
			return -2;
		}
		return -1;
	}
	rev = echo_wait(fd, POLLIN, ms);
	if (rev & POLLERR) {
		*st = echo_udp_icmp(fd, ev, evlen);
		return -2;
	}
	if (!(rev & POLLIN))
		return -1;
	n = recv(fd, back, cap, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		*st = echo_udp_icmp(fd, ev, evlen);
		return -2;
	}
	return n;
}

static void echo_probe_udp(const struct echo_check_cfg *cfg,
			   const struct sock_addr *dst,
			   struct echo_port_result *r)
{
	static const uint8_t one_byte[1] = {'\n'};
	uint8_t back[65536];
	const uint8_t *msg = (const uint8_t *)ECHO_PROBE;
	size_t len = sizeof(ECHO_PROBE) - 1;
	int fd, tries;
	int64_t t0;

	fd = echo_udp_socket(dst, 0, r->evidence, sizeof(r->evidence));
	if (fd < 0) {
		r->state = ECHO_ST_ERROR;
		return;
	}
	if (r->svc == ECHO_SVC_CHARGEN) {
		/* Any datagram makes chargen answer; one byte shows the
		 * amplification best. */
		msg = one_byte;
		len = 1;
	}
	r->state = ECHO_ST_OPEN_FILTERED;
	snprintf(r->evidence, sizeof(r->evidence),
		 "no answer to 2 datagrams within %gs each", cfg->timeout);
	for (tries = 0; tries < 2; tries++) {
		enum echo_state st = ECHO_ST_CLOSED;
		ssize_t n;

		t0 = loop_now_ns();
		r->bytes_sent += len;
		n = echo_udp_exchange(fd, msg, len, back, sizeof(back),
				      echo_ms_of(cfg->timeout), &st,
				      r->evidence, sizeof(r->evidence));
		if (n == -2) {
			r->state = st;
			break;
		}
		if (n >= 0) {
			r->state = ECHO_ST_OPEN;
			r->rtt_ns = loop_now_ns() - t0;
			r->bytes_back = (uint64_t)n;
			echo_keep_sample(r, back,
					 (size_t)n < sizeof(back)
						 ? (size_t)n
						 : sizeof(back));
			snprintf(r->evidence, sizeof(r->evidence),
				 "%zd bytes back for %zu sent", n, len);
			break;
		}
	}
	close(fd);
}

/* --- reflector tests --- */

static void echo_refl_one(const struct sock_addr *dst, uint16_t src_port,
			  size_t len, int ms, struct echo_refl_test *t)
{
	uint8_t msg[ECHO_BIG_DATAGRAM], back[65536];
	enum echo_state st;
	char ev[96];
	ssize_t n;
	int fd;
	size_t i;

	for (i = 0; i < len && i < sizeof(msg); i++)
		msg[i] = (uint8_t)('A' + i % 26);
	t->answered = -1;
	fd = echo_udp_socket(dst, src_port, t->note, sizeof(t->note));
	if (fd < 0)
		return;
	t->sent = len;
	/* Two tries, as for the port probe: one lost datagram on the way
	 * must not pass for a refusal. */
	n = echo_udp_exchange(fd, msg, len, back, sizeof(back), ms, &st, ev,
			      sizeof(ev));
	if (n == -1)
		n = echo_udp_exchange(fd, msg, len, back, sizeof(back), ms, &st,
				      ev, sizeof(ev));
	close(fd);
	if (n == -2) {
		t->answered = 0;
		snprintf(t->note, sizeof(t->note), "%s", ev);
		return;
	}
	t->answered = n >= 0;
	t->back = n >= 0 ? (size_t)n : 0;
	if (n >= 0)
		snprintf(t->note, sizeof(t->note), "answered, %zd bytes", n);
	else
		snprintf(t->note, sizeof(t->note), "no answer");
}

/* ECHO_RATE_PROBES datagrams spread over rate_window seconds; replies are
 * read as they come and for one timeout after the last. */
static void echo_refl_rate(const struct echo_check_cfg *cfg,
			   const struct sock_addr *dst,
			   struct echo_reflector *rf)
{
	uint8_t msg[64], back[2048];
	int64_t start, gap, end;
	char why[96];
	int fd, i;

	memset(msg, 'r', sizeof(msg));
	fd = echo_udp_socket(dst, 0, why, sizeof(why));
	if (fd < 0)
		return;
	start = loop_now_ns();
	gap = (int64_t)(cfg->rate_window * 1e9) / ECHO_RATE_PROBES;
	for (i = 0; i < ECHO_RATE_PROBES; i++) {
		int64_t due = start + gap * i;

		while (loop_now_ns() < due) {
			int ms = (int)((due - loop_now_ns()) / 1000000);

			if (echo_wait(fd, POLLIN, ms) & POLLIN)
				while (recv(fd, back, sizeof(back),
					    MSG_DONTWAIT) >= 0)
					rf->rate_back++;
		}
		if (send(fd, msg, sizeof(msg), MSG_DONTWAIT) >= 0)
			rf->rate_sent++;
	}
	end = loop_now_ns() + (int64_t)(cfg->timeout * 1e9);
	while (loop_now_ns() < end) {
		int ms = (int)((end - loop_now_ns()) / 1000000);

		if (!(echo_wait(fd, POLLIN, ms) & POLLIN))
			break;
		while (recv(fd, back, sizeof(back), MSG_DONTWAIT) >= 0)
			rf->rate_back++;
	}
	close(fd);
	rf->rate_secs = cfg->rate_window;
	rf->replies_per_s =
		rf->rate_secs > 0 ? (double)rf->rate_back / rf->rate_secs : 0;
}

static void echo_reflector_tests(const struct echo_check_cfg *cfg,
				 const struct sock_addr *dst,
				 struct echo_reflector *rf)
{
	static const uint16_t ports[ECHO_REFL_PORTS] = {19, 53, 123};
	int ms = echo_ms_of(cfg->timeout);
	size_t sent = 0, back = 0;
	int i;

	rf->tested = true;
	for (i = 0; i < ECHO_REFL_PORTS; i++) {
		rf->src_port[i] = ports[i];
		echo_refl_one(dst, ports[i], 32, ms, &rf->from_port[i]);
	}
	echo_refl_one(dst, 0, 0, ms, &rf->empty);
	echo_refl_one(dst, 0, ECHO_BIG_DATAGRAM, ms, &rf->big);
	rf->truncates = rf->big.answered == 1 && rf->big.back < rf->big.sent;
	for (i = 0; i < ECHO_REFL_PORTS; i++) {
		sent += rf->from_port[i].sent;
		back += rf->from_port[i].back;
	}
	sent += rf->big.sent;
	back += rf->big.back;
	rf->byte_ratio = sent ? (double)back / (double)sent : 0;
	echo_refl_rate(cfg, dst, rf);
}

/* --- verdict --- */

/* Adds one finding to the reason (most severe first, "; " between) and
 * raises the risk to at least r. */
static void echo_judge_add(struct echo_host_report *rep, enum echo_risk r,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void echo_judge_add(struct echo_host_report *rep, enum echo_risk r,
			   const char *fmt, ...)
{
	size_t used = strlen(rep->reason);
	va_list ap;

	if (used && used + 2 < sizeof(rep->reason)) {
		memcpy(rep->reason + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(rep->reason + used, sizeof(rep->reason) - used, fmt, ap);
	va_end(ap);
	if (r > rep->risk)
		rep->risk = r;
}

static void echo_judge_udp_echo(struct echo_host_report *rep)
{
	const struct echo_reflector *rf = &rep->refl;
	bool svc_port = false;
	size_t i;

	for (i = 0; rf->tested && i < ECHO_REFL_PORTS; i++)
		if (rf->from_port[i].answered == 1)
			svc_port = true;
	if (svc_port || rf->empty.answered == 1)
		echo_judge_add(rep, ECHO_RISK_HIGH,
			       "UDP echo answers %s: it can be looped against "
			       "chargen/DNS/NTP and used as a reflector",
			       svc_port ? "datagrams from service ports"
					: "zero-length datagrams");
	else
		echo_judge_add(rep, ECHO_RISK_MEDIUM,
			       "UDP echo is open: a reflector for spoofed "
			       "traffic (%.0f replies/s measured)",
			       rf->replies_per_s);
}

void echo_check_judge(struct echo_host_report *rep)
{
	size_t i;

	rep->exposed = false;
	rep->risk = ECHO_RISK_NONE;
	rep->reason[0] = '\0';
	for (i = 0; i < 4; i++)
		if (rep->port[i].state == ECHO_ST_OPEN)
			rep->exposed = true;
	if (rep->port[3].state == ECHO_ST_OPEN)
		echo_judge_add(rep, ECHO_RISK_HIGH,
			       "UDP chargen is open: an amplifier (%.1fx the "
			       "bytes sent) that loops with any echo service",
			       rep->chargen_ratio);
	if (rep->port[1].state == ECHO_ST_OPEN)
		echo_judge_udp_echo(rep);
	if (rep->port[2].state == ECHO_ST_OPEN)
		echo_judge_add(rep, ECHO_RISK_MEDIUM,
			       "TCP chargen is open: anyone can draw an "
			       "endless stream from it");
	if (rep->port[0].state == ECHO_ST_OPEN)
		echo_judge_add(rep, ECHO_RISK_LOW,
			       "TCP echo is open (no reflection over TCP, but "
			       "an unneeded service)");
	if (!rep->exposed)
		echo_judge_add(rep, ECHO_RISK_NONE,
			       "neither echo nor chargen answers");
}

int echo_check_host(const struct echo_check_cfg *cfg, const char *host,
		    struct echo_host_report *rep, char *err, size_t errlen)
{
	struct sock_addr dst;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	rep->host = host;
	if (sock_resolve(host, cfg->family, false, &dst, err, errlen) < 0)
		return -1;
	sock_ntop(&dst, rep->addr, sizeof(rep->addr));
	for (i = 0; i < 4; i++) {
		struct echo_port_result *r = &rep->port[i];
		struct sock_addr a = dst;

		r->udp = i % 2 == 1;
		r->svc = i < 2 ? ECHO_SVC_ECHO : ECHO_SVC_CHARGEN;
		r->port = r->svc == ECHO_SVC_ECHO ? cfg->echo_port
						  : cfg->chargen_port;
		r->rtt_ns = -1;
		sock_set_port(&a, r->port);
		if (r->udp)
			echo_probe_udp(cfg, &a, r);
		else
			echo_probe_tcp(cfg, &a, r);
		if (i == 1 && r->state == ECHO_ST_OPEN)
			echo_reflector_tests(cfg, &a, &rep->refl);
		if (i == 3 && r->state == ECHO_ST_OPEN && r->bytes_sent)
			rep->chargen_ratio =
				(double)r->bytes_back / (double)r->bytes_sent;
	}
	echo_check_judge(rep);
	return 0;
}
