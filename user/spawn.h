/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process trees of `mptrace spawn`: the spec language and the tree
 * of processes it describes.
 *
 *	node    := [ COUNT "*" ] "p" { ":" option } [ "(" node { "," node } ")" ]
 *	option  := "exit=" 0..255 | "kill=" SIGNAL | "hold=" DURATION
 *		 | "name=" NAME | "zombie" | "orphan" | "daemon"
 *		 | "subreaper" | "join"
 *
 * See Documentation/spawn.rst for what each means.
 */
#ifndef MPT_SPAWN_H
#define MPT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_MAX_PROCS	4096
#define SPAWN_MAX_COUNT	1000
#define SPAWN_MAX_DEPTH	16

/* Flags of struct spawn_node */
enum {
	SPAWN_ZOMBIE	= 1 << 0,	/* its parent never waits for it */
	SPAWN_ORPHAN	= 1 << 1,	/* outlives its parent */
	SPAWN_DAEMON	= 1 << 2,	/* dies with its parent */
	SPAWN_SUBREAPER	= 1 << 3,	/* PR_SET_CHILD_SUBREAPER */
	SPAWN_JOIN	= 1 << 4,	/* its parent waits for it at once */
};

/**
 * struct spawn_node - one process of the tree, in preorder
 * @parent: index of its parent, -1 for the root
 * @depth: 0 for the root
 * @flags: SPAWN_* flags
 * @exit_code: its exit code (0 unless exit= says)
 * @sig: the signal that ends it, 0 for none
 * @hold_ms: how long it lives after starting its children; -1: the
 *	command's default (0 for a zombie)
 * @name: its command name, "" to keep mptrace's
 * @path: where it is, "0", "0.1", "0.1.2"...
 */
struct spawn_node {
	int parent;
	int depth;
	unsigned int flags;
	int exit_code;
	int sig;
	long hold_ms;
	char name[16];
	char path[96];
};

struct spawn_tree {
	struct spawn_node *v;
	int n;
};

/* Where a spec is wrong: a message and the 0-based column. */
struct spawn_error {
	char msg[128];
	int col;
};

/* Parse @spec into @t (freed with spawn_free()); -1 and @err if bad. */
int spawn_parse(const char *spec, struct spawn_tree *t,
		struct spawn_error *err);
void spawn_free(struct spawn_tree *t);
/* Node @i's options as text: "zombie,exit=3,hold=2s" ("" for none). */
void spawn_role(const struct spawn_node *node, char *buf, size_t len);

/**
 * struct spawn_report - what each process tells the spawner
 * @node: its index in the tree
 * @pid: its pid, or -errno when it could not be made
 * @ppid: its parent's pid
 */
struct spawn_report {
	int node;
	pid_t pid;
	pid_t ppid;
};

/*
 * Make the tree: fork its root, which makes the rest.  Each process
 * writes its struct spawn_report to @report_fd.  @default_hold_ms is the
 * hold of nodes without hold=.  Returns the root's pid or -errno.
 */
pid_t spawn_run(const struct spawn_tree *t, long default_hold_ms,
		int report_fd);

#endif /* MPT_SPAWN_H */
