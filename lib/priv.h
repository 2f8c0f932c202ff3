/*
 * priv - give up privileges once the privileged sockets are open.
 *
 * The order is the one that cannot be undone halfway: supplementary groups,
 * then gid, then uid (all three of real/effective/saved), then every
 * capability (effective, permitted, inheritable, ambient and, where we may,
 * the bounding set), then no-new-privs; finally check that it held.
 */
#ifndef ECHOLOT_PRIV_H
#define ECHOLOT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct priv_state {
	uid_t uid;  /* the uid we run as after the drop */
	gid_t gid;
	bool changed_user;
};

/*
 * Drops to `user` (NULL: the invoking user, i.e. the real uid/gid) and
 * clears every capability. Returns 0, or -1 with a one-line reason in err.
 */
int priv_drop(const char *user, struct priv_state *st, char *err,
	      size_t errlen);

/* True when the process holds no capability in its effective or permitted
 * sets (what /proc/self/status shows as CapEff/CapPrm 0). */
bool priv_none_left(void);

/* True when the process could open a raw socket (root or CAP_NET_RAW). */
bool priv_has_net_raw(void);

#endif
