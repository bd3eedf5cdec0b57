/*
 * The fault monitor of ORGM.hello_c, started by Monitor_start: every
 * Thorough_probe_interval seconds it checks that the daemon runs and its
 * heartbeat is younger than Heartbeat_age, and sets the resource's status
 * to OK or FAULTED (only when it changes). It keeps one resource handle
 * open, reopening it when the resource changed (SCHA_ERR_SEQID), and exits
 * on SIGTERM, whose handler it installs itself: libscha takes no
 * asynchronous signal from its host.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hello_c.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	struct hello h;
	struct sigaction sa;
	char heartbeat[PATH_MAX], pidfile[PATH_MAX], msg[256];
	scha_rsstatus_t last = (scha_rsstatus_t)-1;
	scha_resource_t rh = NULL;

	hello_args(&h, "probe", argc, argv);
	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_term;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (hello_load(&h) != SCHA_ERR_NOERR)
		return (1);
	hello_path(&h, "heartbeat", heartbeat, sizeof (heartbeat));
	hello_path(&h, "pid", pidfile, sizeof (pidfile));

	while (!stopping) {
		scha_rsstatus_t st = SCHA_RSSTATUS_OK;
		struct stat sb;
		scha_err_t e;
		int interval = h.probe_interval, age;

		/* One open handle for the monitor's life; reopened on SEQID. */
		if (rh == NULL && scha_resource_open(h.resource, h.group, &rh) != SCHA_ERR_NOERR)
			rh = NULL;
		if (rh != NULL) {
			e = scha_resource_get(rh, SCHA_THOROUGH_PROBE_INTERVAL, &interval);
			if (e == SCHA_ERR_SEQID) {
				(void) scha_resource_close(rh);
				rh = NULL;
			} else if (e != SCHA_ERR_NOERR) {
				interval = h.probe_interval;
			}
		}
		if (hello_pid(pidfile) == 0) {
			st = SCHA_RSSTATUS_FAULTED;
			snprintf(msg, sizeof (msg), "daemon is not running");
		} else if (stat(heartbeat, &sb) != 0 ||
		    (age = (int)(time(NULL) - sb.st_mtime)) > h.heartbeat_age) {
			st = SCHA_RSSTATUS_FAULTED;
			snprintf(msg, sizeof (msg), "no heartbeat for %d s", h.heartbeat_age);
		} else {
			snprintf(msg, sizeof (msg), "heartbeat fresh, port %d", h.port);
		}
		if (st != last) {
			hello_status(&h, st, msg);
			hello_log(&h, st == SCHA_RSSTATUS_OK ? LOG_INFO : LOG_ERR, "%s", msg);
			last = st;
		}
		if (interval < 1)
			interval = 1;
		sleep((unsigned)interval);
	}
	if (rh != NULL)
		(void) scha_resource_close(rh);
	return (0);
}
