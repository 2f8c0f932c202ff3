/*
 * bench/ping_bare - the yardstick for ping's flood rows in bench/ping.sh:
 * the plainest flood loop. Each thread has its own ICMP socket and sends
 * one echo request to 127.0.0.1 at a time, then reads its reply with
 * recvmsg and SO_TIMESTAMPNS, as echolot and iputils do; nothing else (no
 * parsing beyond the sequence check, no matching table, no statistics).
 *
 *   ping_bare COUNT raw|dgram [THREADS]
 *
 * COUNT probes in all (at most 10^7), split over THREADS (1 or 2). raw
 * needs root; dgram needs a group in net.ipv4.ping_group_range. Prints
 * "sent S received R threads T". Loopback only; each read waits at most
 * 1 s, so a lost reply ends that thread's run instead of hanging it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
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

struct ping_bare_lane {
	long count;     /* probes this thread sends */
	int raw;        /* raw socket (else datagram) */
	uint16_t ident; /* echo id (raw; the kernel picks it for dgram) */
	long sent, received;
	int err;        /* errno of a failed call, 0 if none */
};

static uint16_t ping_bare_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A socket as the tools open theirs: receive stamps, a reply filter on
 * raw sockets, a read timeout so nothing hangs. */
static int ping_bare_socket(int raw)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_INET, raw ? SOCK_RAW : SOCK_DGRAM, IPPROTO_ICMP);
	int on = 1;

	if (fd < 0)
		return -1;
	if (raw) {
		uint32_t keep = ~(1u << ICMP_ECHOREPLY);

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &keep, sizeof(keep));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until the reply to seq comes (a raw socket also sees other
 * processes' replies). Returns 0, or -1 on a timeout or error. */
static int ping_bare_read(int fd, const struct ping_bare_lane *l,
			  uint16_t seq)
{
	uint8_t buf[2048];
	char control[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	size_t off;
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		n = recvmsg(fd, &msg, 0);
		if (n < 0)
			return -1;
		off = l->raw ? (size_t)(buf[0] & 0x0f) * 4 : 0;
		if ((size_t)n < off + 8 || buf[off] != ICMP_ECHOREPLY)
			continue;
		if ((!l->raw || (buf[off + 4] << 8 | buf[off + 5]) == l->ident) &&
		    (buf[off + 6] << 8 | buf[off + 7]) == seq)
			return 0;
	}
}

static void *ping_bare_run(void *arg)
{
	struct ping_bare_lane *l = arg;
	struct sockaddr_in to;
	uint8_t pkt[64];
	long i;
	int fd = ping_bare_socket(l->raw);

	if (fd < 0) {
		l->err = errno;
		return NULL;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = ICMP_ECHO;
	pkt[4] = (uint8_t)(l->ident >> 8);
	pkt[5] = (uint8_t)l->ident;
	for (i = 0; i < l->count; i++) {
		uint16_t seq = (uint16_t)(i + 1), ck;
		struct timespec ts;

		/* the send time, as the tools take it, in the payload */
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(pkt + 8, &ts, sizeof(ts));
		pkt[6] = (uint8_t)(seq >> 8);
		pkt[7] = (uint8_t)seq;
		pkt[2] = pkt[3] = 0;
		ck = ping_bare_csum(pkt, sizeof(pkt));
		pkt[2] = (uint8_t)(ck >> 8);
		pkt[3] = (uint8_t)ck;
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0) {
			l->err = errno;
			break;
		}
		l->sent++;
		if (ping_bare_read(fd, l, seq) < 0)
			break;
		l->received++;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct ping_bare_lane lanes[2];
	pthread_t tid;
	long count = argc > 1 ? atol(argv[1]) : 0, sent = 0, received = 0;
	int threads = argc > 3 ? atoi(argv[3]) : 1, i;

	if (argc < 3 || argc > 4 || count < 1 || count > 10000000 ||
	    (strcmp(argv[2], "raw") && strcmp(argv[2], "dgram")) ||
	    threads < 1 || threads > 2) {
		fprintf(stderr, "usage: ping_bare COUNT raw|dgram [1|2]\n");
		return 2;
	}
	for (i = 0; i < threads; i++) {
		memset(&lanes[i], 0, sizeof(lanes[i]));
		lanes[i].count = count / threads + (i < count % threads);
		lanes[i].raw = strcmp(argv[2], "raw") == 0;
		lanes[i].ident = (uint16_t)(getpid() * 2 + i);
	}
	if (threads == 2 &&
	    pthread_create(&tid, NULL, ping_bare_run, &lanes[1]) != 0) {
		fprintf(stderr, "ping_bare: cannot start a thread\n");
		return 2;
	}
	ping_bare_run(&lanes[0]);
	if (threads == 2)
		pthread_join(tid, NULL);
	for (i = 0; i < threads; i++) {
		if (lanes[i].err) {
			fprintf(stderr, "ping_bare: %s\n",
				strerror(lanes[i].err));
			return 1;
		}
		sent += lanes[i].sent;
		received += lanes[i].received;
	}
	printf("sent %ld received %ld threads %d\n", sent, received, threads);
	return received == count ? 0 : 1;
}
