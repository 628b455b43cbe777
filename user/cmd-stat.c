// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace stat: the module's counters, over netlink.
 */
#include <stdio.h>

#include "libmptrace.h"
#include "mptrace.h"

/* The counters this CLI knows, in the order it shows them. */
static const struct {
	int attr;
	const char *name;
	const char *desc;
} counters[] = {
	{ MPT_STATS_A_LOADED_NS,    "loaded_ns",    "CLOCK_BOOTTIME (ns) when the module loaded" },
	{ MPT_STATS_A_DEV_OPEN,     "dev_open",     "/dev/mptrace files open now" },
	{ MPT_STATS_A_DEV_OPENS,    "dev_opens",    "opens of /dev/mptrace since load" },
	{ MPT_STATS_A_DEV_IOCTLS,   "dev_ioctls",   "ioctls on /dev/mptrace since load" },
	{ MPT_STATS_A_NL_REQUESTS,  "nl_requests",  "netlink requests served since load" },
	{ MPT_STATS_A_BAD_REQUESTS, "bad_requests", "requests refused as malformed" },
	{ MPT_STATS_A_RING_BYTES,   "ring_bytes",   "memory held by /dev/mptrace readers' rings" },
	{ MPT_STATS_A_RING_BYTES_MAX, "ring_bytes_max", "limit of that memory (ring_mem_max)" },
	{ MPT_STATS_A_RING_BYTES_CLOSING, "ring_bytes_closing", "rings of closed readers, freed shortly" },
	{ MPT_STATS_A_RING_BYTES_USER_MAX, "ring_bytes_user_max", "limit of one user's share (ring_mem_user_max)" },
	{ MPT_STATS_A_DEV_READERS,  "dev_readers",  "/dev/mptrace files receiving events now" },
	{ MPT_STATS_A_DEV_READERS_USER_MAX, "dev_readers_user_max", "limit of one user's readers (readers_user_max)" },
	{ MPT_STATS_A_DEV_REFUSED,  "dev_refused",  "rings refused at one of those limits" },
	{ MPT_STATS_A_DEV_LOST,     "dev_lost",     "events dropped from full /dev rings, each reported" },
	{ MPT_STATS_A_NL_EVENTS,    "nl_events",    "events multicast on netlink" },
	{ MPT_STATS_A_NL_DROPS,     "nl_drops",     "netlink events no listener received" },
	{ MPT_STATS_A_PROCS,        "procs",        "processes in the table now" },
	{ MPT_STATS_A_PROCS_MAX,    "procs_max",    "limit of the table (max_procs)" },
	{ MPT_STATS_A_PROCS_BYTES,  "procs_bytes",  "memory the process table holds" },
	{ MPT_STATS_A_PROCS_EVICTED, "procs_evicted", "records taken from plain processes when full" },
	{ MPT_STATS_A_PROCS_UNTRACKED, "procs_untracked", "processes not tracked (table full, no memory)" },
	{ MPT_STATS_A_QUEUES,       "queues",       "queues that exist now" },
	{ MPT_STATS_A_QUEUES_MAX,   "queues_max",   "limit of queues (max_queues)" },
	{ MPT_STATS_A_QUEUE_BYTES,  "queue_bytes",  "bytes the queues reserve (capacity * msgsize)" },
	{ MPT_STATS_A_QUEUE_BYTES_MAX, "queue_bytes_max", "limit of that (max_queue_bytes)" },
	{ MPT_STATS_A_QUEUE_MSG_BYTES, "queue_msg_bytes", "bytes of the messages in all queues" },
	{ MPT_STATS_A_QUEUE_REFUSED, "queue_refused", "queue creations refused at a limit" },
	{ MPT_STATS_A_LOCKS,        "locks",        "locks that exist now" },
	{ MPT_STATS_A_LOCKS_MAX,    "locks_max",    "limit of locks (max_locks)" },
	{ MPT_STATS_A_LOCKS_HELD,   "locks_held",   "locks held now" },
	{ MPT_STATS_A_LOCK_REFUSED, "lock_refused", "lock creations refused at the limit" },
	{ MPT_STATS_A_LOCK_TOKENS,  "lock_tokens",  "threads with a token for fast locks" },
	{ MPT_STATS_A_LOCK_TOKENS_MAX, "lock_tokens_max", "limit of tokens (max_lock_tokens)" },
	{ MPT_STATS_A_LOCK_TOKEN_REFUSED, "lock_token_refused", "tokens refused at the limit" },
};

static const struct mpt_column stat_cols[] = {
	{ "COUNTER",     0, 0, SCOLS_JSON_STRING, true, "counter name" },
	{ "VALUE",       0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
	  "its value" },
	{ "DESCRIPTION", 0, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, true,
	  "what it counts" },
};

#define NCOLS (sizeof(stat_cols) / sizeof(stat_cols[0]))
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static const struct mpt_command stat_cmd = {
	"stat", cmd_stat, "", "module counters",
};

int cmd_stat(int argc, char **argv)
{
	struct libscols_table *tb;
	struct mpt_nl_stats st;
	struct mpt_nl *nl;
	int ids[NCOLS];
	size_t nids, i, j;
	int ret;

	ret = mpt_parse_common(argc, argv, &stat_cmd, stat_cols, NCOLS);
	if (ret >= 0)
		return ret;

	tb = mpt_table_new("stats", stat_cols, NCOLS, ids, &nids);
	if (!tb)
		return MPT_EXIT_USAGE;

	ret = mpt_nl_open(&nl);
	if (ret) {
		mpt_err("cannot reach the mptrace netlink family: %s",
			mpt_strerror(ret));
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	ret = mpt_nl_get_stats(nl, &st);
	if (ret) {
		const char *msg = mpt_nl_errmsg(nl);

		mpt_err("stats request failed: %s%s%s", mpt_strerror(ret),
			msg ? ": " : "", msg ? msg : "");
		mpt_nl_close(nl);
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	mpt_nl_close(nl);
	for (i = 0; i < NCOUNTERS; i++) {
		struct libscols_line *ln;
		char buf[32];

		if (!st.present[counters[i].attr])
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			goto oom;
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)st.value[counters[i].attr]);
		for (j = 0; j < nids; j++) {
			const char *val = ids[j] == 0 ? counters[i].name :
					  ids[j] == 1 ? buf : counters[i].desc;

			if (scols_line_set_data(ln, j, val))
				goto oom;
		}
	}
	return mpt_table_print(tb);
oom:
	scols_unref_table(tb);
	mpt_err("out of memory");
	return MPT_EXIT_FAIL;
}
