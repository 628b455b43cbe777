/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmptrace - the small C library under the mptrace CLI.
 *
 * Every function returns 0 (or a non-negative value) on success and a
 * negative errno on failure; none prints anything.  mpt_strerror() turns
 * such an errno into a sentence that names the fix.
 */
#ifndef LIBMPTRACE_H
#define LIBMPTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/mptrace.h>

/* /dev/mptrace */
int mpt_dev_open(int flags);
int mpt_dev_version(int fd, struct mpt_version *v);

/* The generic netlink family "mptrace". */
struct mpt_nl;

int mpt_nl_open(struct mpt_nl **nlp);
void mpt_nl_close(struct mpt_nl *nl);
/* The extended ACK message of the last failed request, or NULL. */
const char *mpt_nl_errmsg(const struct mpt_nl *nl);

struct mpt_nl_version {
	uint32_t abi;
	uint64_t features;
	char version[MPT_VERSION_LEN];
};

int mpt_nl_get_version(struct mpt_nl *nl, uint32_t need_abi,
		       struct mpt_nl_version *v);

struct mpt_nl_stats {
	bool present[MPT_STATS_A_MAX + 1];
	uint64_t value[MPT_STATS_A_MAX + 1];
};

int mpt_nl_get_stats(struct mpt_nl *nl, struct mpt_nl_stats *st);

/*
 * A sentence for a negative errno from this library, naming the fix where
 * there is one (e.g. "module not loaded: run insmod kmod/mptrace.ko").
 */
const char *mpt_strerror(int err);

/* True when the module is loaded (/sys/module/mptrace exists). */
bool mpt_module_loaded(void);

#endif /* LIBMPTRACE_H */
