// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace ps - the processes the module knows, with what /proc forgets:
 * the original parent of an orphan, since when a zombie waits and why,
 * since when an orphan has been one.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

enum {
	COL_PID, COL_PPID, COL_ORIG, COL_STATE, COL_UID, COL_THREADS, COL_AGE,
	COL_ZOMBIE, COL_WHY, COL_ORPHAN, COL_EXIT, COL_FLAGS, COL_COMM,
};

static const struct mpt_column ps_cols[] = {
	[COL_PID]     = { "PID", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
			  "process id" },
	[COL_PPID]    = { "PPID", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
			  "parent now" },
	[COL_ORIG]    = { "ORIG", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
			  "original parent (kept across orphaning)" },
	[COL_STATE]   = { "STATE", 1, 0, SCOLS_JSON_STRING, true,
			  "state as in /proc/PID/stat (R, S, D, T, Z, ...)" },
	[COL_UID]     = { "UID", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false,
			  "real user id" },
	[COL_THREADS] = { "THREADS", 3, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false,
			  "live threads" },
	[COL_AGE]     = { "AGE", 6, SCOLS_FL_RIGHT, SCOLS_JSON_STRING, false,
			  "time since it was created" },
	[COL_ZOMBIE]  = { "ZOMBIE", 6, SCOLS_FL_RIGHT, SCOLS_JSON_STRING, true,
			  "how long it has been a zombie" },
	[COL_WHY]     = { "WHY", 10, 0, SCOLS_JSON_STRING, false,
			  "why a zombie is not reaped" },
	[COL_ORPHAN]  = { "ORPHAN", 6, SCOLS_FL_RIGHT, SCOLS_JSON_STRING, true,
			  "how long ago it was orphaned" },
	[COL_EXIT]    = { "EXIT", 6, 0, SCOLS_JSON_STRING, true,
			  "how it ended (zombies)" },
	[COL_FLAGS]   = { "FLAGS", 8, 0, SCOLS_JSON_STRING, false,
			  "zombie, orphan, subreaper, init, kthread, unknown-history" },
	[COL_COMM]    = { "COMM", 16, 0, SCOLS_JSON_STRING, true,
			  "command name" },
};

#define NCOLS (sizeof(ps_cols) / sizeof(ps_cols[0]))

/* Where the table is read from. */
enum ps_source { PS_ANY, PS_DEV, PS_NETLINK };

struct ps {
	bool tree, original, zombies, orphans, subtree, kthreads;
	enum ps_source source;
	long pid;
	struct mpt_proc *v;
	size_t n;
	uint64_t now;
};

static void usage(void)
{
	printf("Usage: mptrace ps [OPTIONS]\n\n"
	       "List processes with what /proc forgets: the original parent of an\n"
	       "orphan, how long a zombie has waited and why, when an orphan was\n"
	       "orphaned.  Processes older than the module have an unknown history.\n\n"
	       "Options:\n"
	       "      --tree          draw the process tree (by current parent)\n"
	       "      --original      with --tree: orphans under their original parent,\n"
	       "                      ended parents shown as (ended)\n"
	       "  -z, --zombies       only zombies\n"
	       "      --orphans       only orphans\n"
	       "  -p, --pid PID       only process PID\n"
	       "      --subtree       with -p: and its descendants\n"
	       "  -k, --kthreads      kernel threads too (hidden unless -p names one)\n"
	       "      --dev           ask /dev/mptrace only (by default it is asked\n"
	       "                      first, and netlink when it cannot be opened)\n"
	       "      --netlink       ask the netlink family only\n"
	       "  -j, --json          JSON output\n"
	       "  -r, --raw           raw output, no alignment\n"
	       "  -n, --noheadings    no header line\n"
	       "  -o, --output LIST   columns to show (+LIST adds)\n"
	       "      --output-all    every column\n"
	       "  -H, --list-columns  list the columns\n"
	       "  -h, --help          this text\n\n"
	       "Columns:\n");
	mpt_list_columns(ps_cols, NCOLS);
}

/* "850ms", "12.3s", "4m05s", "2h03m", "5d03h" */
static void human_age(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000000ULL)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
}

static void since(const struct ps *ps, uint64_t t, char *buf, size_t len)
{
	if (!t)
		buf[0] = '\0';
	else
		human_age(ps->now > t ? ps->now - t : 0, buf, len);
}

static const char *why_text(uint8_t why)
{
	switch (why) {
	case MPT_ZW_NOT_WAITING:	return "parent not in wait()";
	case MPT_ZW_BLOCKED:		return "parent blocked elsewhere";
	case MPT_ZW_WAITS_OTHER:	return "parent waits for another";
	case MPT_ZW_STOPPED:		return "parent stopped";
	case MPT_ZW_PARENT_EXITING:	return "parent exiting";
	default:			return "";
	}
}

static void exit_text(const struct mpt_proc *p, char *buf, size_t len)
{
	if (!(p->flags & MPT_PROC_ZOMBIE))
		buf[0] = '\0';
	else if (WIFEXITED(p->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(p->status));
	else
		snprintf(buf, len, "SIG%s%s", sigabbrev_np(WTERMSIG(p->status)) ?: "?",
			 WCOREDUMP(p->status) ? " (core)" : "");
}

static void flags_text(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ MPT_PROC_ZOMBIE, "zombie" }, { MPT_PROC_ORPHAN, "orphan" },
		{ MPT_PROC_SUBREAPER, "subreaper" }, { MPT_PROC_NS_INIT, "init" },
		{ MPT_PROC_KTHREAD, "kthread" },
		{ MPT_PROC_HISTORY_UNKNOWN, "unknown-history" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

static const struct mpt_proc *find(const struct ps *ps, uint32_t pid)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->v[i].pid == pid)
			return &ps->v[i];
	return NULL;
}

/* @p is -p PID or, with --subtree, below it (by current parents). */
static bool in_subtree(const struct ps *ps, const struct mpt_proc *p)
{
	size_t hops;

	for (hops = 0; p && hops < ps->n; hops++) {
		if (p->pid == (uint32_t)ps->pid)
			return true;
		if (!ps->subtree || !p->ppid || p->ppid == p->pid)
			return false;
		p = find(ps, p->ppid);
	}
	return false;
}

static bool shown(const struct ps *ps, const struct mpt_proc *p)
{
	if (ps->zombies && !(p->flags & MPT_PROC_ZOMBIE))
		return false;
	if (ps->orphans && !(p->flags & MPT_PROC_ORPHAN))
		return false;
	if ((p->flags & MPT_PROC_KTHREAD) && !ps->kthreads &&
	    p->pid != (uint32_t)ps->pid)
		return false;
	return !ps->pid || in_subtree(ps, p);
}

/* @v in decimal: snprintf's work without its cost, paid per cell. */
static void u32_text(uint32_t v, char *buf)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

/*
 * An empty value leaves its cell unset: libsmartcols prints an unset cell
 * as an empty one (JSON null), without copying an empty string for it.
 */
static int set_cells(struct libscols_line *ln, const int *ids, size_t nids,
		     const struct ps *ps, const struct mpt_proc *p)
{
	char buf[128];
	size_t i;

	for (i = 0; i < nids; i++) {
		const char *val = buf;

		buf[0] = '\0';
		/* An ended parent's row has its pid and name only. */
		if (p->state == '-' && ids[i] != COL_PID && ids[i] != COL_COMM)
			continue;
		switch (ids[i]) {
		case COL_PID:
			u32_text(p->pid, buf);
			break;
		case COL_PPID:
			u32_text(p->ppid, buf);
			break;
		case COL_ORIG:
			u32_text(p->orig_ppid, buf);
			break;
		case COL_STATE:
			buf[0] = p->state ?: '?';
			buf[1] = '\0';
			break;
		case COL_UID:
			u32_text(p->uid, buf);
			break;
		case COL_THREADS:
			u32_text(p->threads, buf);
			break;
		case COL_AGE:
			since(ps, p->start_ns, buf, sizeof(buf));
			break;
		case COL_ZOMBIE:
			if (p->flags & MPT_PROC_ZOMBIE)
				since(ps, p->exit_ns, buf, sizeof(buf));
			break;
		case COL_WHY:
			val = why_text(p->why);
			break;
		case COL_ORPHAN:
			since(ps, p->orphan_ns, buf, sizeof(buf));
			break;
		case COL_EXIT:
			exit_text(p, buf, sizeof(buf));
			break;
		case COL_FLAGS:
			flags_text(p->flags, buf, sizeof(buf));
			break;
		case COL_COMM:
			val = mpt_cell_text(p->comm, buf, sizeof(buf));
			break;
		}
		if (*val && scols_line_set_data(ln, i, val))
			return -ENOMEM;
	}
	return 0;
}

/* Rows of ended original parents (--tree --original), made once each. */
struct ghosts {
	struct mpt_proc *v;
	struct libscols_line **lines;
	size_t n;
};

static struct libscols_line *ghost_line(struct ghosts *g, uint32_t pid,
					struct libscols_table *tb,
					const int *ids, size_t nids,
					const struct ps *ps)
{
	struct mpt_proc *p;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->v[i].pid == pid)
			return g->lines[i];
	p = &g->v[g->n];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->state = '-';
	snprintf(p->comm, sizeof(p->comm), "(ended)");
	g->lines[g->n] = scols_table_new_line(tb, NULL);
	if (!g->lines[g->n] || set_cells(g->lines[g->n], ids, nids, ps, p))
		return NULL;
	return g->lines[g->n++];
}

/*
 * Hang each row from its parent's: the current parent, or with --original
 * the original one (a placeholder row when that one has ended).  A row
 * whose parent is not shown is a root.
 */
static int make_tree(const struct ps *ps, struct libscols_line **lines,
		     struct libscols_table *tb, const int *ids, size_t nids)
{
	struct ghosts g = { 0 };
	size_t i, j;
	int ret = 0;

	g.v = calloc(ps->n + 1, sizeof(*g.v));
	g.lines = calloc(ps->n + 1, sizeof(*g.lines));
	if (!g.v || !g.lines) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ps->n; i++) {
		const struct mpt_proc *p = &ps->v[i];
		uint32_t ppid = ps->original ? p->orig_ppid : p->ppid;
		struct libscols_line *parent = NULL;

		if (!lines[i] || !ppid || ppid == p->pid)
			continue;
		for (j = 0; j < ps->n && ps->v[j].pid != ppid; j++)
			;
		if (j < ps->n)
			parent = lines[j];
		else if (ps->original && (p->flags & MPT_PROC_ORPHAN)) {
			parent = ghost_line(&g, ppid, tb, ids, nids, ps);
			if (!parent) {
				ret = -ENOMEM;
				goto out;
			}
		}
		if (parent && scols_line_add_child(parent, lines[i])) {
			ret = -ENOMEM;
			goto out;
		}
	}
out:
	free(g.v);
	free(g.lines);
	return ret;
}

static int fill(const struct ps *ps, struct libscols_table *tb,
		const int *ids, size_t nids)
{
	struct libscols_line **lines;
	size_t i;
	int ret = 0;

	lines = calloc(ps->n + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (i = 0; i < ps->n; i++) {
		if (!shown(ps, &ps->v[i]))
			continue;
		lines[i] = scols_table_new_line(tb, NULL);
		if (!lines[i] || set_cells(lines[i], ids, nids, ps, &ps->v[i])) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (ps->tree)
		ret = make_tree(ps, lines, tb, ids, nids);
out:
	free(lines);
	return ret;
}

/*
 * The table comes from /dev/mptrace: records of a fixed layout, up to
 * MPT_PROCS_MAX an ioctl, with no family to resolve and nothing to
 * parse.  Netlink gives the same records under the same rules, one
 * message per process; it is asked with --netlink, or when the device
 * cannot be opened (a container without the node, a restrictive mode).
 */
static int get_procs(struct ps *ps)
{
	struct mpt_nl *nl;
	int fd, ret;

	if (ps->source != PS_NETLINK) {
		fd = mpt_dev_open(0);
		if (fd >= 0) {
			ret = mpt_dev_get_procs(fd, &ps->v, &ps->n);
			close(fd);
			return ret;
		}
		if (ps->source == PS_DEV || !mpt_module_loaded())
			return fd;
	}
	ret = mpt_nl_open(&nl);
	if (ret)
		return ret;
	ret = mpt_nl_get_procs(nl, &ps->v, &ps->n);
	mpt_nl_close(nl);
	return ret;
}

static int parse(int argc, char **argv, struct ps *ps)
{
	enum {
		OPT_TREE = 256, OPT_ORIGINAL, OPT_ORPHANS, OPT_SUBTREE, OPT_DEV,
		OPT_NETLINK,
	};
	static const struct option longopts[] = {
		{ "tree",	  no_argument,	     NULL, OPT_TREE },
		{ "original",	  no_argument,	     NULL, OPT_ORIGINAL },
		{ "zombies",	  no_argument,	     NULL, 'z' },
		{ "orphans",	  no_argument,	     NULL, OPT_ORPHANS },
		{ "pid",	  required_argument, NULL, 'p' },
		{ "subtree",	  no_argument,	     NULL, OPT_SUBTREE },
		{ "dev",	  no_argument,	     NULL, OPT_DEV },
		{ "netlink",	  no_argument,	     NULL, OPT_NETLINK },
		{ "kthreads",	  no_argument,	     NULL, 'k' },
		MPT_COMMON_LONGOPTS,
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+zkp:h" MPT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TREE:
			ps->tree = true;
			break;
		case OPT_ORIGINAL:
			ps->original = true;
			break;
		case 'z':
			ps->zombies = true;
			break;
		case OPT_ORPHANS:
			ps->orphans = true;
			break;
		case 'p':
			if (mpt_parse_num("ps", "-p", optarg, INT_MAX, &ps->pid))
				return MPT_EXIT_USAGE;
			break;
		case OPT_SUBTREE:
			ps->subtree = true;
			break;
		case OPT_DEV:
		case OPT_NETLINK:
			if (ps->source && ps->source != (c == OPT_DEV ? PS_DEV : PS_NETLINK))
				return mpt_usage_err("ps: --dev or --netlink, not both");
			ps->source = c == OPT_DEV ? PS_DEV : PS_NETLINK;
			break;
		case 'k':
			ps->kthreads = true;
			break;
		case 'h':
			usage();
			return MPT_EXIT_OK;
		default:
			switch (mpt_common_opt(c, ps_cols, NCOLS)) {
			case 1:
				return MPT_EXIT_OK;
			case -1:
				return mpt_option_err("ps", "+zkp:h" MPT_COMMON_SHORTOPTS,
						      longopts, argv);
			}
		}
	}
	if (optind < argc)
		return mpt_usage_err("ps: unexpected argument '%s'", argv[optind]);
	if (ps->subtree && !ps->pid)
		return mpt_usage_err("ps: --subtree needs -p PID");
	if (ps->original && !ps->tree)
		return mpt_usage_err("ps: --original goes with --tree");
	return -1;
}

int cmd_ps(int argc, char **argv)
{
	struct ps ps = { 0 };
	struct libscols_table *tb;
	struct timespec ts;
	int ids[NCOLS];
	size_t nids, i;
	int ret;

	ret = parse(argc, argv, &ps);
	if (ret >= 0)
		return ret;
	tb = mpt_table_new("processes", ps_cols, NCOLS, ids, &nids);
	if (!tb)
		return MPT_EXIT_USAGE;
	if (ps.tree) {
		for (i = 0; i < nids && ids[i] != COL_COMM; i++)
			;
		if (i == nids) {
			scols_unref_table(tb);
			return mpt_usage_err("ps: --tree draws in the COMM column: add it to -o");
		}
		scols_column_set_flags(scols_table_get_column(tb, i),
				       SCOLS_FL_TREE);
	}

	ret = get_procs(&ps);
	if (ret) {
		mpt_err("cannot list processes: %s", mpt_strerror(ret));
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ps.now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (ps.pid && !find(&ps, ps.pid)) {
		mpt_err("no process %ld that you may see", ps.pid);
		free(ps.v);
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	ret = fill(&ps, tb, ids, nids);
	free(ps.v);
	if (ret) {
		mpt_err("out of memory");
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	/* At 10k rows, taking the table apart took about 4% of a snapshot. */
	return mpt_table_print_last(tb);
}
