/*
 * echo_load - a bounded, byte-checking load generator for echo servers.
 *
 *   echo_load tcp HOST PORT CONNS SIZE SECONDS
 *   echo_load udp HOST PORT SOCKETS SIZE SECONDS
 *
 * Closed loop: each connection (socket) sends SIZE bytes, reads them all
 * back and checks every byte, then sends the next message. Runs SECONDS
 * and prints one line:
 *   rt N rate R/s errors E served S/CONNS
 * (served: connections that completed at least one round trip). Loopback
 * only; the run is bounded by SECONDS and the connection count.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	size_t off;       /* bytes sent (sending) or received (receiving) */
	int receiving;
	uint32_t round;
	uint64_t done;
	int64_t sent_ns;  /* udp: for the resend timeout */
	int dead, connected;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint8_t byte_at(size_t conn, uint32_t round, size_t i)
{
	return (uint8_t)(conn * 131u + round * 7u + i * 13u + (i >> 8));
}

static void fill(uint8_t *b, size_t conn, uint32_t round, size_t off,
		 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = byte_at(conn, round, off + i);
}

static int check(const uint8_t *b, size_t conn, uint32_t round, size_t off,
		 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != byte_at(conn, round, off + i))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event ev, evs[256];
	struct conn *c;
	uint8_t *buf;
	size_t n, size, i;
	double secs;
	int udp, ep;
	uint64_t errors = 0, total = 0, served = 0;
	int64_t start, end;

	if (argc != 7) {
		fprintf(stderr, "usage: echo_load tcp|udp HOST PORT CONNS SIZE SECONDS\n");
		return 2;
	}
	udp = strcmp(argv[1], "udp") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "echo_load: loopback addresses only\n");
		return 2;
	}
	n = (size_t)atoi(argv[4]);
	size = (size_t)atoi(argv[5]);
	secs = atof(argv[6]);
	if (n < 1 || n > 4096 || size < 1 || size > (1 << 20) || secs <= 0 ||
	    secs > 60)
		return 2;
	c = calloc(n, sizeof(*c));
	buf = malloc(size);
	ep = epoll_create1(0);
	if (!c || !buf || ep < 0)
		return 2;
	for (i = 0; i < n; i++) {
		int one = 1;

		c[i].fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM), 0);
		if (c[i].fd < 0)
			return 2;
		if (!udp)
			setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		/* Non-blocking connects, all at once: a server whose
		 * backlog overflows leaves some never connected, and they
		 * count as unserved (that is what it does to real clients). */
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != EINPROGRESS) {
			c[i].dead = 1;
			continue;
		}
		if (udp)
			c[i].connected = 1;
		ev.events = EPOLLOUT;
		ev.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	start = now_ns();
	end = start + (int64_t)(secs * 1e9);
	while (now_ns() < end) {
		int k, m = epoll_wait(ep, evs, 256, 10);

		for (k = 0; k < m; k++) {
			struct conn *x = &c[evs[k].data.u64];
			size_t ci = (size_t)evs[k].data.u64;
			ssize_t r;

			if (x->dead)
				continue;
			if (!x->connected) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err,
					   &el);
				if (err) {
					x->dead = 1;
					continue;
				}
				x->connected = 1;
			}
			if (!x->receiving && (evs[k].events & EPOLLOUT)) {
				fill(buf, ci, x->round, x->off, size - x->off);
				r = send(x->fd, buf, size - x->off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (r > 0)
					x->off += (size_t)r;
				else if (r < 0 && errno != EAGAIN)
					x->dead = 1;
				if (x->off == size || udp) {
					x->receiving = 1;
					x->off = 0;
					x->sent_ns = now_ns();
					ev.events = EPOLLIN;
					ev.data.u64 = ci;
					epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				}
			}
			if (x->receiving && (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
				r = recv(x->fd, buf, size - (udp ? 0 : x->off),
					 MSG_DONTWAIT);
				if (r == 0 && !udp) {
					x->dead = 1;
					continue;
				}
				if (r < 0) {
					if (errno != EAGAIN)
						x->dead = !udp;
					continue;
				}
				if ((udp && (size_t)r != size) ||
				    check(buf, ci, x->round, udp ? 0 : x->off,
					  (size_t)r) < 0) {
					errors++;
					if (!udp)
						x->dead = 1;
					continue;
				}
				x->off = udp ? size : x->off + (size_t)r;
				if (x->off == size) {
					x->done++;
					total++;
					x->round++;
					x->off = 0;
					x->receiving = 0;
					ev.events = EPOLLOUT;
					ev.data.u64 = ci;
					epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				}
			}
		}
		/* UDP: a datagram lost (or refused) is resent after 200 ms. */
		if (udp) {
			int64_t t = now_ns();

			for (i = 0; i < n; i++) {
				if (c[i].dead || !c[i].receiving ||
				    t - c[i].sent_ns < 200000000)
					continue;
				c[i].receiving = 0;
				c[i].round++;
				ev.events = EPOLLOUT;
				ev.data.u64 = i;
				epoll_ctl(ep, EPOLL_CTL_MOD, c[i].fd, &ev);
			}
		}
	}
	for (i = 0; i < n; i++) {
		served += c[i].done > 0;
		close(c[i].fd);
	}
	printf("rt %llu rate %.0f errors %llu served %llu/%zu\n",
	       (unsigned long long)total,
	       (double)total / ((double)(now_ns() - start) / 1e9),
	       (unsigned long long)errors, (unsigned long long)served, n);
	return 0;
}
