// SPDX-License-Identifier: GPL-2.0
/*
 * One event in words or as one JSON object: what `mptrace watch` prints,
 * and what `mptrace demo` shows of the events its scenarios cause.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "libmptrace.h"
#include "mptrace.h"

/* "exit code 3" or "killed by SIGTERM (core dumped)" */
void mpt_status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by SIG%s%s",
			 sigabbrev_np(WTERMSIG(status)) ?: "?",
			 WCOREDUMP(status) ? " (core dumped)" : "");
}

/* "EDEADLK: 12 wants B, held by 13; 13 wants A, held by 12" */
static void cycle_text(const struct mpt_event_view *ev, char *buf, size_t len)
{
	size_t off;
	uint32_t i;

	off = snprintf(buf, len, "refused (EDEADLK):");
	for (i = 0; i < ev->ncycle && off < len; i++) {
		const struct mpt_deadlock_entry *c = &ev->cycle[i];
		uint32_t next = ev->cycle[(i + 1) % ev->ncycle].pid;

		if (i + 1 == ev->ncycle && ev->count > ev->ncycle)
			next = 0;	/* cut: the holder is not in the record */
		off += snprintf(buf + off, len - off, "%s %u wants %s, held by %u",
				i ? ";" : "", c->pid, c->name, next);
	}
	if (ev->count > ev->ncycle && off < len)
		snprintf(buf + off, len - off, "; ... (%llu in all)",
			 (unsigned long long)ev->count);
}

void mpt_event_details(const struct mpt_event_view *ev, char *buf, size_t len)
{
	char st[64];

	/* --threads: a thread's creation and end, not its process's. */
	if (ev->flags & MPT_EVF_THREAD && ev->type == MPT_EV_FORK) {
		snprintf(buf, len, "new thread %u, made by thread %u", ev->tid,
			 ev->parent_tid);
		return;
	}
	if (ev->flags & MPT_EVF_THREAD && ev->type == MPT_EV_EXIT) {
		mpt_status_text(ev->status, st, sizeof(st));
		snprintf(buf, len, "thread %u ended: %s", ev->tid, st);
		return;
	}
	switch (ev->type) {
	case MPT_EV_LOST:
		snprintf(buf, len, "%llu events lost", (unsigned long long)ev->lost);
		break;
	case MPT_EV_FORK:
		snprintf(buf, len, "child of %u (thread %u)", ev->parent_pid,
			 ev->parent_tid);
		break;
	case MPT_EV_EXEC:
		snprintf(buf, len, "%s%s", ev->filename,
			 ev->exec_flags & MPT_EXEC_TRUNCATED ? "..." : "");
		break;
	case MPT_EV_EXIT:
		mpt_status_text(ev->status, buf, len);
		break;
	case MPT_EV_ZOMBIE:
		mpt_status_text(ev->status, st, sizeof(st));
		snprintf(buf, len, "%s; parent %u must reap it", st, ev->ppid);
		break;
	case MPT_EV_REAP:
		if (ev->how == MPT_REAP_AUTO)
			snprintf(buf, len, "auto-reaped (parent ignores SIGCHLD), by %u",
				 ev->reaper_pid);
		else
			snprintf(buf, len, "reaped by %u after %.3f s as a zombie%s",
				 ev->reaper_pid, ev->zombie_ns / 1e9,
				 ev->info_flags & MPT_REAP_ZOMBIE_UNKNOWN ?
				 " (at least)" : "");
		break;
	case MPT_EV_ORPHAN:
		snprintf(buf, len, "parent %u ended; adopted by %u%s%s, first parent %u%s",
			 ev->old_ppid, ev->ppid,
			 ev->info_flags & MPT_ORPHAN_NS_INIT ? " (init)" : "",
			 ev->info_flags & MPT_ORPHAN_SUBREAPER ? " (subreaper)" : "",
			 ev->orig_ppid,
			 ev->info_flags & MPT_ORPHAN_HISTORY_UNKNOWN ? " or earlier" : "");
		break;
	case MPT_EV_QUEUE_CREATE:
	case MPT_EV_QUEUE_REMOVE:
		snprintf(buf, len, "queue %s (id %llu), %u waiting", ev->obj_name,
			 (unsigned long long)ev->obj_id, ev->depth);
		break;
	case MPT_EV_QUEUE_FULL:
	case MPT_EV_QUEUE_EMPTY:
		snprintf(buf, len, "blocks on queue %s: %u of its messages waiting",
			 ev->obj_name, ev->depth);
		break;
	case MPT_EV_QUEUE_CONSUMER_DIED:
		snprintf(buf, len, "died with %llu item(s) of queue %s in flight: released",
			 (unsigned long long)ev->count, ev->obj_name);
		break;
	case MPT_EV_QUEUE_PUT:
	case MPT_EV_QUEUE_GET:
		snprintf(buf, len, "queue %s: message #%llu, %u bytes; %u waiting",
			 ev->obj_name, (unsigned long long)ev->count, ev->len,
			 ev->depth);
		break;
	case MPT_EV_LOCK_CREATE:
	case MPT_EV_LOCK_REMOVE:
		snprintf(buf, len, "lock %s (id %llu)", ev->obj_name,
			 (unsigned long long)ev->obj_id);
		break;
	case MPT_EV_LOCK_CONTENDED:
		snprintf(buf, len, "waits for lock %s, held by %u (thread %u); %u waiting",
			 ev->obj_name, ev->owner_pid, ev->owner_tid, ev->waiters);
		break;
	case MPT_EV_LOCK_OWNER_DIED:
		snprintf(buf, len, "died holding lock %s (%.3f s): released, %s",
			 ev->obj_name, ev->ns / 1e9, ev->waiters ?
			 "next waiter told" : "next owner will be told");
		break;
	case MPT_EV_LOCK_ACQUIRE:
		snprintf(buf, len, "took lock %s (count %llu) after %.6f s",
			 ev->obj_name, (unsigned long long)ev->count, ev->ns / 1e9);
		break;
	case MPT_EV_LOCK_RELEASE:
		snprintf(buf, len, "released lock %s (count %llu), held %.6f s",
			 ev->obj_name, (unsigned long long)ev->count, ev->ns / 1e9);
		break;
	case MPT_EV_DEADLOCK:
		cycle_text(ev, buf, len);
		break;
	default:
		snprintf(buf, len, "event type %u", ev->type);
	}
}

void mpt_event_json(FILE *f, const struct mpt_event_view *ev, const char *head)
{
	const char *name = mpt_event_name(ev->type);

	fprintf(f, "{%s\"seq\": %llu, \"time_ns\": %llu, \"event\": ",
		head ? head : "", (unsigned long long)ev->seq, (unsigned long long)ev->time_ns);
	mpt_json_string(f, name ? name : "unknown");
	if (ev->type == MPT_EV_LOST) {
		fprintf(f, ", \"lost\": %llu}\n", (unsigned long long)ev->lost);
		return;
	}
	fprintf(f, ", \"thread\": %s", ev->flags & MPT_EVF_THREAD ? "true" : "false");
	fprintf(f, ", \"pid\": %u, \"tid\": %u, \"ppid\": %u, \"uid\": %u, \"comm\": ",
	       ev->pid, ev->tid, ev->ppid, ev->uid);
	mpt_json_string(f, ev->comm);
	switch (ev->type) {
	case MPT_EV_FORK:
		fprintf(f, ", \"parent_pid\": %u, \"parent_tid\": %u", ev->parent_pid,
		       ev->parent_tid);
		break;
	case MPT_EV_EXEC:
		fprintf(f, ", \"old_tid\": %u, \"filename\": ", ev->old_tid);
		mpt_json_string(f, ev->filename);
		fprintf(f, ", \"truncated\": %s",
		       ev->exec_flags & MPT_EXEC_TRUNCATED ? "true" : "false");
		break;
	case MPT_EV_EXIT:
	case MPT_EV_ZOMBIE:
	case MPT_EV_REAP:
		fprintf(f, ", \"status\": %d", ev->status);
		if (WIFEXITED(ev->status))
			fprintf(f, ", \"exit_code\": %d", WEXITSTATUS(ev->status));
		else
			fprintf(f, ", \"signal\": %d, \"core_dumped\": %s",
			       WTERMSIG(ev->status),
			       WCOREDUMP(ev->status) ? "true" : "false");
		if (ev->type != MPT_EV_REAP)
			break;
		fprintf(f, ", \"reaper_pid\": %u, \"how\": \"%s\", \"zombie_ns\": %llu, \"zombie_unknown\": %s",
		       ev->reaper_pid, ev->how == MPT_REAP_AUTO ? "auto" : "wait",
		       (unsigned long long)ev->zombie_ns,
		       ev->info_flags & MPT_REAP_ZOMBIE_UNKNOWN ? "true" : "false");
		break;
	case MPT_EV_ORPHAN:
		fprintf(f, ", \"old_ppid\": %u, \"orig_ppid\": %u, \"subreaper\": %s, \"ns_init\": %s, \"zombie\": %s, \"history_unknown\": %s",
		       ev->old_ppid, ev->orig_ppid,
		       ev->info_flags & MPT_ORPHAN_SUBREAPER ? "true" : "false",
		       ev->info_flags & MPT_ORPHAN_NS_INIT ? "true" : "false",
		       ev->info_flags & MPT_ORPHAN_ZOMBIE ? "true" : "false",
		       ev->info_flags & MPT_ORPHAN_HISTORY_UNKNOWN ? "true" : "false");
		break;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		fprintf(f, ", \"queue\": ");
		mpt_json_string(f, ev->obj_name);
		fprintf(f, ", \"queue_id\": %llu, \"depth\": %u",
		       (unsigned long long)ev->obj_id, ev->depth);
		if (ev->type == MPT_EV_QUEUE_CONSUMER_DIED)
			fprintf(f, ", \"released\": %llu",
			       (unsigned long long)ev->count);
		if (ev->type == MPT_EV_QUEUE_PUT || ev->type == MPT_EV_QUEUE_GET)
			fprintf(f, ", \"msg_seq\": %llu, \"len\": %u",
			       (unsigned long long)ev->count, ev->len);
		break;
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_OWNER_DIED:
	case MPT_EV_LOCK_ACQUIRE ... MPT_EV_LOCK_RELEASE:
		fprintf(f, ", \"lock\": ");
		mpt_json_string(f, ev->obj_name);
		fprintf(f, ", \"lock_id\": %llu, \"owner_pid\": %u, \"owner_tid\": %u, \"ns\": %llu, \"count\": %llu, \"waiters\": %u",
		       (unsigned long long)ev->obj_id, ev->owner_pid,
		       ev->owner_tid, (unsigned long long)ev->ns,
		       (unsigned long long)ev->count, ev->waiters);
		break;
	case MPT_EV_DEADLOCK:
		fprintf(f, ", \"length\": %llu, \"cycle\": [",
		       (unsigned long long)ev->count);
		for (uint32_t i = 0; i < ev->ncycle; i++) {
			fprintf(f, "%s{\"pid\": %u, \"tid\": %u, \"lock_id\": %llu, \"lock\": ",
			       i ? ", " : "", ev->cycle[i].pid, ev->cycle[i].tid,
			       (unsigned long long)ev->cycle[i].lock_id);
			mpt_json_string(f, ev->cycle[i].name);
			fprintf(f, "}");
		}
		fprintf(f, "]");
		break;
	}
	fprintf(f, "}\n");
}


bool mpt_pidset_has(const struct mpt_pidset *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->pid[i] == pid)
			return true;
	return false;
}

int mpt_pidset_add(struct mpt_pidset *s, pid_t pid)
{
	if (mpt_pidset_has(s, pid))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		pid_t *p = realloc(s->pid, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->pid = p;
		s->cap = cap;
	}
	s->pid[s->n++] = pid;
	return 0;
}

void mpt_pidset_del(struct mpt_pidset *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->pid[i] == pid) {
			s->pid[i] = s->pid[--s->n];
			return;
		}
}
