/*
 * bench/rtt_floor - what sets the minimum rtt on loopback: the arithmetic
 * (iputils subtracts send and receive times truncated to whole
 * microseconds, echolot subtracts nanosecond stamps) and whether the CPU
 * idles between probes. This sends COUNT (300, at most 10000) ICMP echo
 * requests to 127.0.0.1, 2 ms apart, from a raw socket (root), takes
 * each rtt as the kernel's SO_TIMESTAMPNS receive stamp minus
 * CLOCK_REALTIME read right before sendto, and prints:
 *
 *   min_ns N  avg_ns A  min_us_truncated M  replies R  wait W
 *
 * WAIT is "sleep" (the default: nanosleep until the next send, so the
 * CPU idles) or "spin" (poll the socket without blocking and yield until
 * the next send, as iputils does below 10 ms).
 *
 *   rtt_floor [COUNT] [sleep|spin]
 *
 * Loopback only; bounded by COUNT and a 1 s receive timeout per probe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

static uint16_t rtt_floor_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int rtt_floor_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), one = 1;
	uint32_t only_replies = ~(1u << ICMP_ECHOREPLY);
	struct timeval tv = {1, 0};

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &only_replies,
		       sizeof(only_replies)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One probe: 0 with the send and kernel receive stamps, -1 on no reply. */
static int rtt_floor_probe(int fd, uint16_t seq, struct timespec *tx,
			   struct timespec *rx)
{
	struct sockaddr_in dst = {.sin_family = AF_INET};
	uint8_t req[64] = {ICMP_ECHO}, rep[256];
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl;
	struct iovec io = {rep, sizeof(rep)};
	struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
	struct cmsghdr *c;
	uint16_t sum;
	int tries;

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	req[4] = 0x7e, req[5] = 0x1f; /* identifier */
	req[6] = (uint8_t)(seq >> 8), req[7] = (uint8_t)seq;
	sum = rtt_floor_csum(req, sizeof(req));
	req[2] = (uint8_t)(sum >> 8), req[3] = (uint8_t)sum;
	clock_gettime(CLOCK_REALTIME, tx);
	if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&dst,
		   sizeof(dst)) < 0)
		return -1;
	/* skip other processes' replies: ours carry our id and seq */
	for (tries = 0; tries < 16; tries++) {
		ssize_t n;
		size_t ihl;

		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &m, 0);
		if (n < 1)
			return -1;
		ihl = (size_t)(rep[0] & 15) * 4;
		if ((size_t)n < ihl + 8 || memcmp(rep + ihl + 4, req + 4, 4))
			continue;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SO_TIMESTAMPNS) {
				memcpy(rx, CMSG_DATA(c), sizeof(*rx));
				return 0;
			}
		return -1;
	}
	return -1;
}

static int64_t rtt_floor_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Until the monotonic time `until`: asleep, or busy on the socket. */
static void rtt_floor_wait(int fd, int64_t until, int spin)
{
	char junk[256];
	int64_t left;

	while ((left = until - rtt_floor_mono_ns()) > 0) {
		if (spin) {
			sched_yield();
			(void)recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		} else {
			struct timespec ts = { 0, (long)left };

			nanosleep(&ts, NULL);
		}
	}
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 300;
	const char *wait = argc > 2 ? argv[2] : "sleep";
	int spin = strcmp(wait, "spin") == 0;
	long long min_ns = -1, min_us = -1, sum_ns = 0;
	long i, replies = 0;
	int64_t next;
	int fd;

	if (count < 1 || count > 10000) {
		fprintf(stderr, "rtt_floor: COUNT must be 1 to 10000\n");
		return 2;
	}
	if (!spin && strcmp(wait, "sleep") != 0) {
		fprintf(stderr, "rtt_floor: WAIT must be sleep or spin\n");
		return 2;
	}
	fd = rtt_floor_socket();
	if (fd < 0) {
		perror("rtt_floor: raw ICMP socket (needs root)");
		return 2;
	}
	next = rtt_floor_mono_ns();
	for (i = 0; i < count; i++) {
		struct timespec tx, rx;
		long long ns, us;

		rtt_floor_wait(fd, next, spin);
		next += 2000000;
		if (rtt_floor_probe(fd, (uint16_t)i, &tx, &rx) == 0) {
			ns = (rx.tv_sec - tx.tv_sec) * 1000000000LL +
			     (rx.tv_nsec - tx.tv_nsec);
			us = (rx.tv_sec * 1000000LL + rx.tv_nsec / 1000) -
			     (tx.tv_sec * 1000000LL + tx.tv_nsec / 1000);
			if (min_ns < 0 || ns < min_ns)
				min_ns = ns;
			if (min_us < 0 || us < min_us)
				min_us = us;
			sum_ns += ns;
			replies++;
		}
	}
	close(fd);
	printf("min_ns %lld  avg_ns %lld  min_us_truncated %lld  replies %ld  "
	       "wait %s\n",
	       min_ns, replies ? sum_ns / replies : -1, min_us, replies, wait);
	return replies == count ? 0 : 1;
}
