/*
 * probe - probe table and reply matching (see probe.h).
 */
#include "probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct probe_slot {
	bool used;
	struct probe p;
};

size_t probe_count(const struct probe_table *t)
{
	return t->count;
}
