/*
 * Start method of ORGM.hello_c: starts the greeting daemon and returns
 * once it is serving (its first heartbeat exists).
 *
 * The daemon is a forked child that never calls libscha: after fork()
 * only the forking thread exists, and libscha's runtime threads don't,
 * so a child may exec() or do plain system calls, as here, but not call
 * scha_* functions (scha_calls(3HA)). Everything it needs is read first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hello_c.h"

/* serve is the daemon: a heartbeat (the time) every second. */
static void __attribute__((noreturn))
serve(const char *heartbeat)
{
	for (;;) {
		char buf[32];
		int fd, n;

		n = snprintf(buf, sizeof (buf), "%ld\n", (long)time(NULL));
		fd = open(heartbeat, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			(void) write(fd, buf, (size_t)n);
			close(fd);
		}
		sleep(1);
	}
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return (-1);
	fputs(text, f);
	return (fclose(f));
}

int
main(int argc, char **argv)
{
	struct hello h;
	char greeting[PATH_MAX], heartbeat[PATH_MAX], pidfile[PATH_MAX], text[512], buf[32];
	pid_t pid;
	int i;

	hello_args(&h, "start", argc, argv);
	if (hello_load(&h) != SCHA_ERR_NOERR)
		return (1);
	hello_path(&h, "greeting", greeting, sizeof (greeting));
	hello_path(&h, "heartbeat", heartbeat, sizeof (heartbeat));
	hello_path(&h, "pid", pidfile, sizeof (pidfile));
	{
		char parent[PATH_MAX];

		snprintf(parent, sizeof (parent), "%s", h.workdir);
		*strrchr(parent, '/') = '\0';
		(void) mkdir(parent, 0755);
		if (mkdir(h.workdir, 0755) != 0 && errno != EEXIST) {
			hello_log(&h, LOG_ERR, "mkdir %s: %s", h.workdir, strerror(errno));
			return (1);
		}
	}
	if (hello_pid(pidfile) != 0) {
		hello_log(&h, LOG_INFO, "already running");
		return (0);
	}
	snprintf(text, sizeof (text), "%s (port %d)\n", h.greeting, h.port);
	if (write_file(greeting, text) != 0) {
		hello_log(&h, LOG_ERR, "writing %s: %s", greeting, strerror(errno));
		return (1);
	}
	(void) unlink(heartbeat);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		hello_log(&h, LOG_ERR, "fork: %s", strerror(errno));
		return (1);
	}
	if (pid == 0) {
		/* Its own session: the RGM leaves it alone when Start exits. */
		int fd = open("/dev/null", O_RDWR);

		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		serve(heartbeat);
	}
	snprintf(buf, sizeof (buf), "%d\n", (int)pid);
	(void) write_file(pidfile, buf);
	for (i = 0; access(heartbeat, F_OK) != 0; i++) {
		struct timespec ts = { 0, 100000000 };

		if (i > 100) {
			hello_log(&h, LOG_ERR, "the daemon did not start");
			return (1);
		}
		nanosleep(&ts, NULL);
	}
	snprintf(text, sizeof (text), "serving on port %d", h.port);
	hello_status(&h, SCHA_RSSTATUS_OK, text);
	hello_log(&h, LOG_INFO, "started on port %d", h.port);
	return (0);
}
