/*
 * Monitor_start method of ORGM.hello_c: starts the fault monitor,
 * hello_c_probe from this directory, in its own session. The child
 * exec()s at once: a fresh program, which may use libscha again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "hello_c.h"

int
main(int argc, char **argv)
{
	struct hello h;
	char probe[PATH_MAX], pidfile[PATH_MAX];
	FILE *f;
	pid_t pid;
	char *slash;

	hello_args(&h, "monitor_start", argc, argv);
	if (hello_load(&h) != SCHA_ERR_NOERR)
		return (1);
	hello_path(&h, "probe.pid", pidfile, sizeof (pidfile));
	if (hello_pid(pidfile) != 0)
		return (0);
	snprintf(probe, sizeof (probe), "%s", argv[0]);
	slash = strrchr(probe, '/');
	snprintf(slash ? slash + 1 : probe, sizeof (probe) - (size_t)(slash ? slash + 1 - probe : 0),
	    "hello_c_probe");

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		hello_log(&h, LOG_ERR, "fork: %s", strerror(errno));
		return (1);
	}
	if (pid == 0) {
		char *args[] = { probe, (char *)"-R", (char *)h.resource, (char *)"-T",
		    (char *)h.type, (char *)"-G", (char *)h.group, NULL };
		int fd = open("/dev/null", O_RDWR);

		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execv(probe, args);
		_exit(127);
	}
	f = fopen(pidfile, "w");
	if (f == NULL) {
		hello_log(&h, LOG_ERR, "writing %s: %s", pidfile, strerror(errno));
		return (1);
	}
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	hello_log(&h, LOG_INFO, "monitor started (pid %d)", (int)pid);
	return (0);
}
