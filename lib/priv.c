/*
 * priv - give up privileges once the privileged sockets are open.
 */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void priv_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void priv_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* glibc has no wrapper for capget/capset (libcap does); the syscalls with
 * the version-3 layout (two 32-bit words per set) are all we need. */
static int priv_capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};

	return (int)syscall(SYS_capget, &hdr, data);
}

static int priv_capset(const struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};

	return (int)syscall(SYS_capset, &hdr, data);
}

static bool priv_cap_effective(int cap)
{
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (priv_capget(data) < 0)
		return false;
	return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

bool priv_has_net_raw(void)
{
	return geteuid() == 0 || priv_cap_effective(CAP_NET_RAW);
}

bool priv_none_left(void)
{
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (priv_capget(data) < 0)
		return false;
	return (data[0].effective | data[1].effective | data[0].permitted |
		data[1].permitted) == 0;
}

/* Empties the bounding set so that no later execve can regain a
 * capability (uid 0 would otherwise get them all back). Needs
 * CAP_SETPCAP; without it the set is already as small as it can be made. */
static void priv_clear_bounding(void)
{
	int cap;

	if (!priv_cap_effective(CAP_SETPCAP))
		return;
	for (cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	}
}

static int priv_lookup(const char *user, uid_t *uid, gid_t *gid, char *err,
		       size_t errlen)
{
	struct passwd *pw;

	if (!user) {
		*uid = getuid();
		*gid = getgid();
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		priv_errf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int priv_set_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	/* Only root may change groups; an unprivileged process keeps its
	 * own, which are the invoking user's already. */
	if (geteuid() == 0 && setgroups(1, &gid) < 0) {
		priv_errf(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) < 0) {
		priv_errf(err, errlen, "setresgid(%u): %s", (unsigned)gid,
			  strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) < 0) {
		priv_errf(err, errlen, "setresuid(%u): %s", (unsigned)uid,
			  strerror(errno));
		return -1;
	}
	return 0;
}

static int priv_verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid ||
	    getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid ||
	    sg != gid) {
		priv_errf(err, errlen, "privilege drop did not hold (ids)");
		return -1;
	}
	if (!priv_none_left()) {
		priv_errf(err, errlen,
			  "privilege drop did not hold (capabilities)");
		return -1;
	}
	/* If we left root, getting it back must be impossible. */
	if (uid != 0 && setuid(0) == 0) {
		priv_errf(err, errlen, "privilege drop did not hold (setuid)");
		return -1;
	}
	return 0;
}

int priv_drop(const char *user, struct priv_state *st, char *err,
	      size_t errlen)
{
	struct __user_cap_data_struct none[2];
	uid_t uid;
	gid_t gid;

	if (priv_lookup(user, &uid, &gid, err, errlen) < 0)
		return -1;
	priv_clear_bounding();
	if (priv_set_ids(uid, gid, err, errlen) < 0)
		return -1;
	memset(none, 0, sizeof(none));
	if (priv_capset(none) < 0) {
		priv_errf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		priv_errf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (priv_verify(uid, gid, err, errlen) < 0)
		return -1;
	if (st) {
		st->uid = uid;
		st->gid = gid;
		st->changed_user = user != NULL;
	}
	return 0;
}
