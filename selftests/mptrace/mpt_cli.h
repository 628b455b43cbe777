/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the mptrace CLI from a test: as the test's user or another,
 * stdout and stderr captured, exit status (or 128 + signal) returned.
 * The CLI is $MPTRACE_CLI, or "mptrace" on PATH.
 */
#ifndef MPT_CLI_H
#define MPT_CLI_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[8192];
	char err[4096];
};

static inline void slurp(int fd, char *buf, size_t len)
{
	size_t used = 0;
	char junk[4096];
	ssize_t n;

	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += n;
	buf[used] = '\0';
	/* Drain what does not fit, or the writer blocks and never ends. */
	while (used == len - 1 && read(fd, junk, sizeof(junk)) > 0)
		;
}

/*
 * Start the CLI with @argv, stdout and stderr to pipes; as @uid if >= 0;
 * its stdin @in if >= 0, its stdout /dev/full if @full, and SIGCHLD
 * ignored if @ignore_chld (as a caller may leave it).
 */
static inline pid_t start_with(char *const argv[], int uid, int in,
			       bool full, bool ignore_chld, int *out_fd,
			       int *err_fd)
{
	const char *cli = getenv("MPTRACE_CLI");
	int out[2], err[2];
	pid_t pid;

	if (pipe(out) || pipe(err))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = full ? open("/dev/full", O_WRONLY) : out[1];

		if (uid >= 0 && (setgid(uid) || setuid(uid)))
			_exit(126);
		if ((in >= 0 && dup2(in, 0) < 0) || o < 0 || dup2(o, 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(126);
		close(out[0]);
		close(err[0]);
		if (ignore_chld)
			signal(SIGCHLD, SIG_IGN);
		execvp(cli ? cli : "mptrace", argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	*out_fd = out[0];
	*err_fd = err[0];
	return pid;
}

/* Start the CLI with @argv, stdout and stderr to pipes; as @uid if >= 0. */
static inline pid_t start(char *const argv[], int uid, int *out_fd, int *err_fd)
{
	return start_with(argv, uid, -1, false, false, out_fd, err_fd);
}

/* Collect what a started CLI prints, and its exit status. */
static inline int finish(struct run *r, pid_t pid, int out, int err)
{
	int status;

	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	close(out);
	close(err);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
					128 + WTERMSIG(status);
	return 0;
}

static inline int run_as(struct run *r, int uid, char *const argv[])
{
	int out, err;
	pid_t pid = start(argv, uid, &out, &err);

	return pid < 0 ? -1 : finish(r, pid, out, err);
}

/* Run the CLI ($MPTRACE_CLI, or mptrace from PATH) with @argv. */
static inline int run(struct run *r, char *const argv[])
{
	return run_as(r, -1, argv);
}

#define RUN(r, ...) ({ char *const _a[] = { "mptrace", __VA_ARGS__, NULL }; \
		       run(r, _a); })

#endif /* MPT_CLI_H */
