/*
 * Shared code of the ORGM.hello_c methods. Each method is its own program,
 * run by rgmd as `METHOD -R resource -T type -G group` (Validate gets
 * more options), and talks to rgmd only through libscha.
 */
#ifndef HELLO_C_H
#define HELLO_C_H

#include <limits.h>
#include <scha.h>

struct hello {
	const char *method;	/* for log lines */
	const char *resource, *type, *group;
	char workdir[PATH_MAX];	/* Workdir/resource */
	char greeting[256];
	int port;
	int probe_interval;	/* Thorough_probe_interval */
	int heartbeat_age;	/* Heartbeat_age */
	int facility;		/* syslog facility of the cluster */
};

/* hello_args parses the method's arguments; it exits on a usage error. */
void hello_args(struct hello *hp, const char *method, int argc, char **argv);

/* hello_load reads the resource's properties through libscha. */
scha_err_t hello_load(struct hello *hp);

/* hello_path writes workdir/name into buf. */
void hello_path(const struct hello *hp, const char *name, char *buf, size_t len);

/* hello_log logs to syslog (the cluster's facility) and stderr. */
void hello_log(const struct hello *hp, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hello_pid reads a pid file; 0 when there is none or it is stale. */
int hello_pid(const char *path);

/* hello_status sets the resource's status, logging a failure. */
void hello_status(const struct hello *hp, scha_rsstatus_t st, const char *msg);

#endif
