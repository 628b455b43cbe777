// SPDX-License-Identifier: GPL-2.0
/*
 * The spec language of `mptrace spawn` and the process trees it makes.
 *
 * A spec is parsed into a small syntax tree (a node with its COUNT and
 * its children), checked, then expanded into the processes in preorder.
 * Every error names the column where it is.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

#define SPAWN_MAX_HOLD_MS (24L * 3600 * 1000)

struct ast {
	int count;
	int at;			/* column of its 'p' (or COUNT) */
	int flag_at;		/* column of its last flag option */
	struct spawn_node opts;
	struct ast **kids;
	int nkids;
};

struct parser {
	const char *s;
	const char *p;
	struct spawn_error *err;
};

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	ps->err->col = at - ps->s;
	return -1;
}

/* The bytes of the character at @p, for a message: a UTF-8 one whole. */
static int char_len(const char *p)
{
	int n = 1;

	if ((unsigned char)*p >= 0xc0)
		while (n < 4 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n++;
	return n;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static void ast_free(struct ast *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nkids; i++)
		ast_free(a->kids[i]);
	free(a->kids);
	free(a);
}

/* The end of an option's value: up to a separator. */
static size_t value_len(const char *v)
{
	return strcspn(v, ":,() \t");
}

/* A signal that ends a process by default, by name or number. */
static int parse_signal(const char *v, size_t len)
{
	static const int keep_alive[] = {
		SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
		SIGWINCH,
	};
	char name[16];
	int sig = 0;

	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, v, len);
	name[len] = '\0';
	if (isdigit((unsigned char)name[0])) {
		char *end;
		long n = strtol(name, &end, 10);

		if (*end || n < 1 || n > 64)
			return -1;
		sig = n;
	} else {
		const char *n = strncasecmp(name, "SIG", 3) ? name : name + 3;

		for (int i = 1; i < 32 && !sig; i++)
			if (sigabbrev_np(i) && !strcasecmp(n, sigabbrev_np(i)))
				sig = i;
		if (!sig)
			return -1;
	}
	for (size_t i = 0; i < sizeof(keep_alive) / sizeof(keep_alive[0]); i++)
		if (sig == keep_alive[i])
			return -2;
	return sig;
}

/* "500ms", "2s", "1.5s", "1m", "3" (seconds) into milliseconds. */
static long parse_duration(const char *v, size_t len)
{
	char buf[32], *end;
	size_t num;
	double n;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	/* Digits and a point: not strtod()'s 1e3, 0x10, inf. */
	num = strspn(buf, "0123456789.");
	if (!num)
		return -1;
	errno = 0;
	n = strtod(buf, &end);
	if (errno || end != buf + num)
		return -1;
	if (!strcmp(end, "ms"))
		;
	else if (!*end || !strcmp(end, "s"))
		n *= 1000;
	else if (!strcmp(end, "m"))
		n *= 60000;
	else
		return -1;
	if (n < 0 || n > SPAWN_MAX_HOLD_MS)
		return -1;
	return (long)n;
}

static const struct {
	const char *word;
	unsigned int flag;
} flag_words[] = {
	{ "zombie", SPAWN_ZOMBIE }, { "orphan", SPAWN_ORPHAN },
	{ "daemon", SPAWN_DAEMON }, { "subreaper", SPAWN_SUBREAPER },
	{ "join", SPAWN_JOIN },
};

/* A node's own options that contradict each other. */
static const unsigned int exclusive[][2] = {
	{ SPAWN_ZOMBIE, SPAWN_ORPHAN }, { SPAWN_ZOMBIE, SPAWN_DAEMON },
	{ SPAWN_ORPHAN, SPAWN_DAEMON }, { SPAWN_JOIN, SPAWN_ZOMBIE },
	{ SPAWN_JOIN, SPAWN_ORPHAN }, { SPAWN_JOIN, SPAWN_DAEMON },
};

static const char *flag_word(unsigned int flag)
{
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++)
		if (flag_words[i].flag == flag)
			return flag_words[i].word;
	return "?";
}

static int parse_flag(struct parser *ps, struct ast *a, const char *at,
		      unsigned int flag)
{
	struct spawn_node *o = &a->opts;

	if (o->flags & flag)
		return fail(ps, at, "'%s' given twice", flag_word(flag));
	for (size_t i = 0; i < sizeof(exclusive) / sizeof(exclusive[0]); i++) {
		unsigned int other = exclusive[i][0] == flag ? exclusive[i][1] :
				     exclusive[i][1] == flag ? exclusive[i][0] : 0;

		if (o->flags & other)
			return fail(ps, at, "'%s' and '%s' contradict each other",
				    flag_word(other), flag_word(flag));
	}
	o->flags |= flag;
	a->flag_at = at - ps->s;
	return 0;
}

static int parse_option(struct parser *ps, struct ast *a)
{
	const char *at = ps->p, *v;
	struct spawn_node *o = &a->opts;
	size_t wlen = 0, vlen;
	char *end;
	long n;

	while (islower((unsigned char)at[wlen]))
		wlen++;
	if (!wlen)
		return fail(ps, at, "expected an option after ':'");
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++)
		if (strlen(flag_words[i].word) == wlen &&
		    !strncmp(at, flag_words[i].word, wlen)) {
			if (at[wlen] == '=')
				return fail(ps, at + wlen, "'%s' takes no value",
					    flag_words[i].word);
			ps->p = at + wlen;
			return parse_flag(ps, a, at, flag_words[i].flag);
		}

#define WORD(w) (wlen == strlen(w) && !strncmp(at, w, wlen))
	if (!WORD("exit") && !WORD("kill") && !WORD("hold") && !WORD("name"))
		return fail(ps, at, "unknown option '%.*s'", (int)value_len(at),
			    at);
	if (at[wlen] != '=')
		return fail(ps, at + wlen, "'%.*s' needs a value, as in %s",
			    (int)wlen, at,
			    WORD("exit") ? "exit=3" : WORD("kill") ? "kill=TERM" :
			    WORD("hold") ? "hold=2s" : "name=worker");
	v = at + wlen + 1;
	vlen = value_len(v);
	ps->p = v + vlen;

	if (WORD("exit") || WORD("kill")) {
		if (o->exit_code >= 0 || o->sig)
			return fail(ps, at, "exit= and kill= given twice or together: a process ends one way");
	}
	if (WORD("exit")) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end != v + vlen || !vlen ||
		    !isdigit((unsigned char)v[0]) || n < 0 || n > 255)
			return fail(ps, v, "exit code must be 0 to 255, not '%.*s'",
				    (int)vlen, v);
		o->exit_code = n;
	} else if (WORD("kill")) {
		n = parse_signal(v, vlen);
		if (n == -2)
			return fail(ps, v, "%.*s does not end a process: use TERM, KILL, SEGV...",
				    (int)vlen, v);
		if (n < 0)
			return fail(ps, v, "unknown signal '%.*s'", (int)vlen, v);
		o->sig = n;
	} else if (WORD("hold")) {
		if (o->hold_ms >= 0)
			return fail(ps, at, "'hold' given twice");
		o->hold_ms = parse_duration(v, vlen);
		if (o->hold_ms < 0)
			return fail(ps, v, "bad duration '%.*s': 500ms, 2s, 1.5s, 1m (at most 24 h)",
				    (int)vlen, v);
	} else {
		if (o->name[0])
			return fail(ps, at, "'name' given twice");
		if (!vlen || vlen >= sizeof(o->name))
			return fail(ps, v, "a name has 1 to %zu characters",
				    sizeof(o->name) - 1);
		for (size_t i = 0; i < vlen; i++)
			if (!isalnum((unsigned char)v[i]) && !strchr("_.-", v[i]))
				return fail(ps, v + i, "a name has letters, digits, '_', '.' and '-'");
		memcpy(o->name, v, vlen);
	}
#undef WORD
	return 0;
}

static struct ast *parse_node(struct parser *ps, int depth)
{
	struct ast *a, *kid, **kids;
	const char *at;
	char *end;
	long n;

	skip_ws(ps);
	at = ps->p;
	if (depth >= SPAWN_MAX_DEPTH) {
		fail(ps, at, "deeper than %d levels", SPAWN_MAX_DEPTH);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		fail(ps, at, "out of memory");
		return NULL;
	}
	a->count = 1;
	a->at = at - ps->s;
	a->opts.exit_code = -1;
	a->opts.hold_ms = -1;
	if (isdigit((unsigned char)*ps->p)) {
		errno = 0;
		n = strtol(ps->p, &end, 10);
		if (errno || n < 1 || n > SPAWN_MAX_COUNT) {
			fail(ps, at, "a count is 1 to %d", SPAWN_MAX_COUNT);
			goto err;
		}
		a->count = n;
		ps->p = end;
		skip_ws(ps);
		if (*ps->p != '*') {
			fail(ps, ps->p, "expected '*' after a count, as in 3*p");
			goto err;
		}
		ps->p++;
		skip_ws(ps);
	}
	if (*ps->p != 'p') {
		if (*ps->p)
			fail(ps, ps->p, "expected 'p' (a process), not '%.*s'",
			     char_len(ps->p), ps->p);
		else
			fail(ps, ps->p, "expected 'p' (a process)");
		goto err;
	}
	ps->p++;
	for (skip_ws(ps); *ps->p == ':'; skip_ws(ps)) {
		ps->p++;
		skip_ws(ps);
		if (parse_option(ps, a))
			goto err;
	}
	if (*ps->p != '(')
		return a;
	for (ps->p++;;) {
		kid = parse_node(ps, depth + 1);
		if (!kid)
			goto err;
		kids = realloc(a->kids, (a->nkids + 1) * sizeof(*kids));
		if (!kids) {
			ast_free(kid);
			fail(ps, ps->p, "out of memory");
			goto err;
		}
		a->kids = kids;
		a->kids[a->nkids++] = kid;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == ')') {
			ps->p++;
			return a;
		}
		if (*ps->p)
			fail(ps, ps->p, "expected ',' or ')', not '%.*s'",
			     char_len(ps->p), ps->p);
		else
			fail(ps, ps->p, "expected ',' or ')': a '(' is not closed");
		goto err;
	}
err:
	ast_free(a);
	return NULL;
}

/* Processes @a stands for, capped above SPAWN_MAX_PROCS. */
static long ast_procs(const struct ast *a)
{
	long n = 1;

	for (int i = 0; i < a->nkids && n <= SPAWN_MAX_PROCS; i++)
		n += ast_procs(a->kids[i]);
	n *= a->count;
	return n > SPAWN_MAX_PROCS ? SPAWN_MAX_PROCS + 1 : n;
}

static void expand(const struct ast *a, struct spawn_tree *t, int parent,
		   int *ordinal)
{
	for (int r = 0; r < a->count; r++) {
		struct spawn_node *nd = &t->v[t->n];
		int self = t->n++, kid = 0;

		*nd = a->opts;
		nd->parent = parent;
		nd->depth = parent < 0 ? 0 : t->v[parent].depth + 1;
		/* At most 16 levels of ".NNNN": it fits. */
		if (parent < 0) {
			snprintf(nd->path, sizeof(nd->path), "0");
		} else {
			char up[sizeof(nd->path)];

			memcpy(up, t->v[parent].path, sizeof(up));
			snprintf(nd->path, sizeof(nd->path), "%.80s.%d", up,
				 (*ordinal)++ % 10000);
		}
		if (nd->exit_code < 0)
			nd->exit_code = 0;
		for (int i = 0; i < a->nkids; i++)
			expand(a->kids[i], t, self, &kid);
	}
}

int spawn_parse(const char *spec, struct spawn_tree *t,
		struct spawn_error *err)
{
	struct parser ps = { .s = spec, .p = spec, .err = err };
	struct ast *root;
	long n;
	int ordinal = 0;

	memset(t, 0, sizeof(*t));
	skip_ws(&ps);
	if (!*ps.p)
		return fail(&ps, ps.p, "empty spec: try 'p(p, p:zombie)'");
	root = parse_node(&ps, 0);
	if (!root)
		return -1;
	skip_ws(&ps);
	if (*ps.p) {
		ast_free(root);
		return fail(&ps, ps.p, "unexpected '%.*s' after the tree",
			    char_len(ps.p), ps.p);
	}
	if (root->count != 1)
		fail(&ps, spec + root->at, "the root is one process: no count there");
	else if (root->opts.flags & ~SPAWN_SUBREAPER)
		fail(&ps, spec + root->flag_at,
		     "the root's parent is mptrace: zombie, orphan, daemon and join are for children");
	if (root->count != 1 || (root->opts.flags & ~SPAWN_SUBREAPER)) {
		ast_free(root);
		return -1;
	}
	n = ast_procs(root);
	if (n > SPAWN_MAX_PROCS) {
		ast_free(root);
		return fail(&ps, spec, "more than %d processes", SPAWN_MAX_PROCS);
	}
	t->v = calloc(n, sizeof(*t->v));
	if (!t->v) {
		ast_free(root);
		return fail(&ps, spec, "out of memory");
	}
	expand(root, t, -1, &ordinal);
	ast_free(root);
	return 0;
}

void spawn_free(struct spawn_tree *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void spawn_role(const struct spawn_node *nd, char *buf, size_t len)
{
	size_t used = 0;

#define ADD(...) (used += snprintf(buf + used, used < len ? len - used : 0, \
				   __VA_ARGS__))
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++)
		if (nd->flags & flag_words[i].flag)
			ADD("%s%s", used ? "," : "", flag_words[i].word);
	if (nd->sig && sigabbrev_np(nd->sig))
		ADD("%skill=%s", used ? "," : "", sigabbrev_np(nd->sig));
	else if (nd->sig)
		ADD("%skill=%d", used ? "," : "", nd->sig);
	else if (nd->exit_code)
		ADD("%sexit=%d", used ? "," : "", nd->exit_code);
	if (nd->hold_ms >= 0)
		ADD("%shold=%ldms", used ? "," : "", nd->hold_ms);
#undef ADD
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void report(int fd, int node, pid_t pid, pid_t ppid)
{
	struct spawn_report r = { .node = node, .pid = pid, .ppid = ppid };

	/* EPIPE (SIGPIPE is ignored): the spawner is gone, nothing to tell. */
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		return;
}

/* Node @i failed to be made: so did its whole subtree. */
static void report_failed(const struct spawn_tree *t, int fd, int i, int err)
{
	int j = i;

	do
		report(fd, j, -err, getpid());
	while (++j < t->n && t->v[j].depth > t->v[i].depth);
}

/* The life of node @i, in its own process, child of @parent. */
static void __attribute__((noreturn))
node_main(const struct spawn_tree *t, int i, long dhold, int rep,
	  pid_t parent)
{
	const struct spawn_node *nd = &t->v[i];
	pid_t *kids = calloc(t->n, sizeof(*kids));
	pid_t me = getpid();
	sigset_t all;
	int null, j;
	long hold;

	/*
	 * A detached tree holds nothing of its caller's open: not its
	 * terminal, not the pipe a script reads the pids from.  Only the
	 * report pipe stays, as fd 3.
	 */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (rep != 3 && dup2(rep, 3) == 3)
		rep = 3;
	close_range(rep + 1, ~0U, 0);
	signal(SIGPIPE, SIG_IGN);
	if (nd->name[0])
		prctl(PR_SET_NAME, nd->name);
	if (nd->flags & SPAWN_SUBREAPER)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Made: said before a daemon's parent can take it along. */
	report(rep, i, me, parent);
	/*
	 * A daemon goes with its parent, gone already perhaps: then it ends
	 * at once, and its children are never made (spawn says so).
	 */
	if ((nd->flags & SPAWN_DAEMON) &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
		_exit(0);
	if (nd->flags & SPAWN_ORPHAN)
		while (getppid() == parent)
			sleep_ms(10);

	for (j = i + 1; j < t->n && t->v[j].depth > nd->depth; j++) {
		if (t->v[j].parent != i)
			continue;
		if (!kids) {
			report_failed(t, rep, j, ENOMEM);
			continue;
		}
		kids[j] = fork();
		if (kids[j] == 0)
			node_main(t, j, dhold, rep, me);
		if (kids[j] < 0) {
			report_failed(t, rep, j, errno);
			continue;
		}
		if (t->v[j].flags & SPAWN_JOIN)
			waitpid(kids[j], NULL, 0);
	}

	hold = nd->hold_ms >= 0 ? nd->hold_ms :
	       nd->flags & SPAWN_ZOMBIE ? 0 : dhold;
	sleep_ms(hold);

	/* Python's implicit join: every child but these. */
	for (j = i + 1; kids && j < t->n && t->v[j].depth > nd->depth; j++)
		if (t->v[j].parent == i && kids[j] > 0 &&
		    !(t->v[j].flags & (SPAWN_JOIN | SPAWN_ZOMBIE |
				       SPAWN_ORPHAN | SPAWN_DAEMON)))
			waitpid(kids[j], NULL, 0);
	close(rep);
	if (nd->sig) {
		signal(nd->sig, SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		/* Not raise(): glibc refuses its own signals (32, 33). */
		syscall(SYS_tgkill, me, me, nd->sig);
		_exit(128 + nd->sig);
	}
	_exit(nd->exit_code);
}

pid_t spawn_run(const struct spawn_tree *t, long default_hold_ms,
		int report_fd)
{
	pid_t spawner = getpid();
	pid_t root;

	fflush(NULL);
	root = fork();
	if (root == 0)
		node_main(t, 0, default_hold_ms, report_fd, spawner);
	return root < 0 ? -errno : root;
}
