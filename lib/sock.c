/*
 * sock - sockets for probing.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void sock_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sock_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int sock_resolve(const char *host, int family, bool numeric_only,
		 struct sock_addr *out, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = numeric_only ? AI_NUMERICHOST : 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		sock_errf(err, errlen, "cannot resolve '%s': %s", host,
			  rc == EAI_SYSTEM ? strerror(errno)
			  : rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int sock_family(const struct sock_addr *a)
{
	return a->ss.ss_family;
}

const char *sock_ntop(const struct sock_addr *a, char *buf, size_t len)
{
	const void *src = NULL;

	if (a->ss.ss_family == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a->ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!src || !inet_ntop(a->ss.ss_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

uint16_t sock_port(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

void sock_set_port(struct sock_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

/*
 * Datagram ICMP sockets fail with EACCES when the caller's group is outside
 * net.ipv4.ping_group_range (the default "1 0" admits nobody), and with
 * EPROTONOSUPPORT/ESOCKTNOSUPPORT on kernels built without them. Raw
 * sockets fail with EPERM without root or CAP_NET_RAW. When both fail the
 * message names every way out.
 */
int sock_open_icmp(int family, bool prefer_dgram, enum sock_icmp_kind *kind,
		   char *err, size_t errlen)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int dgram_errno = 0, fd;

	if (prefer_dgram) {
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
		if (fd >= 0) {
			*kind = SOCK_ICMP_DGRAM;
			return fd;
		}
		dgram_errno = errno;
	}
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		*kind = SOCK_ICMP_RAW;
		return fd;
	}
	if (errno == EPERM || errno == EACCES)
		sock_errf(err, errlen,
			  "no permission for an ICMP socket: run as root, "
			  "give the binary CAP_NET_RAW (setcap cap_net_raw+ep)"
			  ", or allow your group in sysctl "
			  "net.ipv4.ping_group_range%s%s",
			  dgram_errno ? " (" : "",
			  dgram_errno ? "datagram socket refused)" : "");
	else
		sock_errf(err, errlen, "cannot open ICMP socket: %s",
			  strerror(errno));
	return -1;
}

int sock_enable_rx_stamp(int fd)
{
	int on = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

int sock_enable_rx_info(int fd, int family)
{
	int on = 1;

	if (sock_enable_rx_stamp(fd) < 0)
		return -1;
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
			       sizeof(on)) < 0)
			return -1;
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on,
				  sizeof(on));
	}
	if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)) < 0)
		return -1;
	return setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
}

/* TTL and TOS come as int, except IP_TOS which is one byte. */
static int sock_cmsg_int(const struct cmsghdr *c)
{
	int v = 0;

	if (c->cmsg_len >= CMSG_LEN(sizeof(int)))
		memcpy(&v, CMSG_DATA(c), sizeof(v));
	else if (c->cmsg_len >= CMSG_LEN(1))
		v = *(const unsigned char *)CMSG_DATA(c);
	return v;
}

int sock_enable_rx_opts(int fd)
{
	int on = 1;

	return setsockopt(fd, IPPROTO_IP, IP_RECVOPTS, &on, sizeof(on));
}

int sock_enable_recverr(int fd, int family)
{
	int on = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on,
				  sizeof(on));
	return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

/* The extended error and, right after it, the offender's address. */
static void sock_decode_ee(const struct cmsghdr *c, struct sock_rx *rx)
{
	struct sock_extended_err ee;
	size_t have = c->cmsg_len - CMSG_LEN(0), alen;

	if (have < sizeof(ee))
		return;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	rx->ee.present = true;
	rx->ee.origin = ee.ee_origin;
	rx->ee.type = ee.ee_type;
	rx->ee.code = ee.ee_code;
	rx->ee.err = ee.ee_errno;
	rx->ee.info = ee.ee_info;
	alen = have - sizeof(ee);
	if (alen > sizeof(rx->ee.offender.ss))
		alen = sizeof(rx->ee.offender.ss);
	memcpy(&rx->ee.offender.ss, CMSG_DATA(c) + sizeof(ee), alen);
	if (alen < sizeof(sa_family_t) ||
	    (rx->ee.offender.ss.ss_family != AF_INET &&
	     rx->ee.offender.ss.ss_family != AF_INET6))
		rx->ee.offender.len = 0;
	else
		rx->ee.offender.len = (socklen_t)alen;
}

static void sock_decode_cmsgs(struct msghdr *msg, struct sock_rx *rx)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		     c->cmsg_type == IPV6_RECVERR)) {
			sock_decode_ee(c, rx);
		} else if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			rx->kernel_ns =
				(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		} else if ((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_TTL) ||
			   (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_HOPLIMIT)) {
			rx->ttl = sock_cmsg_int(c);
		} else if ((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_TOS) ||
			   (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_TCLASS)) {
			rx->tos = sock_cmsg_int(c);
		} else if (c->cmsg_level == IPPROTO_IP &&
			   c->cmsg_type == IP_RECVOPTS &&
			   c->cmsg_len >= CMSG_LEN(0)) {
			size_t n = c->cmsg_len - CMSG_LEN(0);

			if (n > sizeof(rx->ip_opts))
				n = sizeof(rx->ip_opts);
			memcpy(rx->ip_opts, CMSG_DATA(c), n);
			rx->ip_opt_len = n;
		}
	}
}

ssize_t sock_sendto(int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen)
{
	return syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
}

ssize_t sock_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return syscall(SYS_recvmsg, fd, msg, flags);
}

ssize_t sock_recv(int fd, void *buf, size_t cap, int flags,
		  struct sock_rx *rx)
{
	char control[512];
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(rx, 0, sizeof(*rx));
	rx->ttl = rx->tos = -1;
	msg.msg_name = &rx->from.ss;
	msg.msg_namelen = sizeof(rx->from.ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	n = sock_recvmsg(fd, &msg, flags);
	if (n < 0)
		return -1;
	rx->from.len = msg.msg_namelen;
	rx->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	sock_decode_cmsgs(&msg, rx);
	return n;
}

int64_t sock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sock_rtt_ns(int64_t tx_real_ns, int64_t tx_mono_ns,
		    const struct sock_rx *rx, int64_t rx_mono_ns)
{
	int64_t mono = rx_mono_ns - tx_mono_ns;
	int64_t kern;

	if (rx->kernel_ns == 0)
		return mono;
	kern = rx->kernel_ns - tx_real_ns;
	/* The kernel stamped the packet before we read it, so a sane value
	 * lies in [0, mono]; allow 1 ms for clock slew. */
	if (kern < 0 || kern > mono + 1000000)
		return mono;
	return kern;
}
