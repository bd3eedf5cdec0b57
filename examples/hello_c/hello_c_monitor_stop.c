/* Monitor_stop method of ORGM.hello_c: stops hello_c_probe. */
#include <signal.h>
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

	hello_args(&h, "monitor_stop", argc, argv);
	if (hello_load(&h) != SCHA_ERR_NOERR)
		return (1);
	hello_path(&h, "probe.pid", pidfile, sizeof (pidfile));
	pid = hello_pid(pidfile);
	if (pid != 0) {
		(void) kill(pid, SIGTERM);
		for (i = 0; hello_pid(pidfile) != 0; i++) {
			struct timespec ts = { 0, 50000000 };

			if (i == 100)
				(void) kill(pid, SIGKILL);
			nanosleep(&ts, NULL);
		}
	}
	(void) unlink(pidfile);
	hello_log(&h, LOG_INFO, "monitor stopped");
	return (0);
}
