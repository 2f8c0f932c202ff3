/*
 * echo_bare - the yardstick for bench/echo.sh: the plainest single-thread
 * epoll echo server (TCP and UDP on 127.0.0.1:PORT), no rules, no caps,
 * no counters. echolot's hardened server is measured against it.
 *
 *   echo_bare PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536

struct conn {
	uint8_t buf[BUF];
	size_t head, len;
	int out; /* watching EPOLLOUT */
};

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event ev, evs[64];
	static struct conn *conns[65536];
	static uint8_t dbuf[65536];
	int lfd, ufd, ep, one = 1;

	if (argc != 2)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("echo_bare");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = ufd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	for (;;) {
		int i, n = epoll_wait(ep, evs, 64, -1);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c;
			ssize_t r;

			if (fd == lfd) {
				int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (cfd < 0 || cfd >= 65536) {
					if (cfd >= 0)
						close(cfd);
					continue;
				}
				conns[cfd] = calloc(1, sizeof(struct conn));
				ev.events = EPOLLIN;
				ev.data.fd = cfd;
				epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				continue;
			}
			if (fd == ufd) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);

				r = recvfrom(ufd, dbuf, sizeof(dbuf), 0,
					     (struct sockaddr *)&from, &fl);
				if (r >= 0)
					sendto(ufd, dbuf, (size_t)r, 0,
					       (struct sockaddr *)&from, fl);
				continue;
			}
			c = conns[fd];
			if (c->len == 0) {
				r = recv(fd, c->buf, BUF, 0);
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					close(fd);
					free(c);
					conns[fd] = NULL;
					continue;
				}
				c->head = 0;
				c->len = (size_t)r;
			}
			r = send(fd, c->buf + c->head, c->len, MSG_NOSIGNAL);
			if (r > 0) {
				c->head += (size_t)r;
				c->len -= (size_t)r;
			}
			if (!!c->len != c->out) {
				c->out = !!c->len;
				ev.events = c->out ? EPOLLOUT : EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			}
		}
	}
}
