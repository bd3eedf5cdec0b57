/*
 * Stop method of ORGM.hello_c: stops the greeting daemon (TERM, then KILL
 * after five seconds) and reports the resource OFFLINE.
 */
#include <signal.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hello_c.h"

int
main(int argc, char **argv)
{
	struct hello h;
	char pidfile[PATH_MAX];
	int pid, i;

	hello_args(&h, "stop", argc, argv);
	if (hello_load(&h) != SCHA_ERR_NOERR)
		return (1);
	hello_path(&h, "pid", pidfile, sizeof (pidfile));
	pid = hello_pid(pidfile);
	if (pid != 0) {
		(void) kill(pid, SIGTERM);
		for (i = 0; hello_pid(pidfile) != 0; i++) {
			struct timespec ts = { 0, 100000000 };

			if (i == 50)
				(void) kill(pid, SIGKILL);
			nanosleep(&ts, NULL);
		}
	}
	(void) unlink(pidfile);
	hello_status(&h, SCHA_RSSTATUS_OFFLINE, "stopped");
	hello_log(&h, LOG_INFO, "stopped");
	return (0);
}
