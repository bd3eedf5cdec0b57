/* Shared code of the ORGM.hello_c methods; see hello_c.h. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "hello_c.h"

void
hello_args(struct hello *hp, const char *method, int argc, char **argv)
{
	int c;

	memset(hp, 0, sizeof (*hp));
	hp->method = method;
	hp->facility = LOG_DAEMON;
	/* Validate also gets -c/-u, -r and -x property settings and -g. */
	while ((c = getopt(argc, argv, "cuR:T:G:r:x:g:Z:")) != -1) {
		switch (c) {
		case 'R': hp->resource = optarg; break;
		case 'T': hp->type = optarg; break;
		case 'G': hp->group = optarg; break;
		case 'c': case 'u': case 'r': case 'x': case 'g': case 'Z': break;
		default:
			fprintf(stderr, "usage: %s -R resource -T type -G group\n", method);
			exit(1);
		}
	}
	if (hp->resource == NULL || hp->group == NULL) {
		fprintf(stderr, "usage: %s -R resource -T type -G group\n", method);
		exit(1);
	}
	if (hp->type == NULL)
		hp->type = "ORGM.hello_c";
}

/* ext_int and ext_str read one extension property on an open handle. */
static scha_err_t
ext_int(scha_resource_t h, const char *name, int *out)
{
	scha_extprop_value_t *v;
	scha_err_t e = scha_resource_get(h, SCHA_EXTENSION, name, &v);

	if (e == SCHA_ERR_NOERR)
		*out = v->val.val_int;
	return (e);
}

static scha_err_t
ext_str(scha_resource_t h, const char *name, char *buf, size_t len)
{
	scha_extprop_value_t *v;
	scha_err_t e = scha_resource_get(h, SCHA_EXTENSION, name, &v);

	if (e == SCHA_ERR_NOERR)
		snprintf(buf, len, "%s", v->val.val_str);
	return (e);
}

/*
 * default_workdir: the directory of the resources' files when Workdir is
 * empty: "hello_c" beside the socket of the rgmd that runs the method
 * (RGM_SOCKET, which rgmd gives its methods; else the scha_* commands'
 * default socket), a directory of rgmd's own user that no other user may
 * write, so that neither two users nor two nodes on one machine share it.
 */
static void
default_workdir(char *buf, size_t len)
{
	const char *sock = getenv("RGM_SOCKET");
	const char *rt = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], *slash;
	int n;

	if (sock != NULL && *sock != '\0') {
		n = snprintf(dir, sizeof (dir), "%s", sock);
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		else
			n = snprintf(dir, sizeof (dir), ".");
	} else if (geteuid() == 0) {
		n = snprintf(dir, sizeof (dir), "/run/openrgm");
	} else if (rt != NULL && *rt != '\0') {
		n = snprintf(dir, sizeof (dir), "%s/openrgm", rt);
	} else {
		n = snprintf(dir, sizeof (dir), "%s/openrgm-%u",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", (unsigned)geteuid());
	}
	if (n < 0 || (size_t)n >= sizeof (dir) ||
	    snprintf(buf, len, "%s/hello_c", dir) >= (int)len)
		buf[0] = '\0';	/* too long: hello_load refuses it */
}

scha_err_t
hello_load(struct hello *hp)
{
	scha_resource_t h;
	scha_err_t e;
	char dir[PATH_MAX - 64];
	int tries;

	(void) scha_cluster_getlogfacility(&hp->facility);
	/*
	 * The usual Solaris idiom: when the resource changes while we read
	 * it (SCHA_ERR_SEQID), close, wait and read it all again, so the
	 * values belong together.
	 */
	for (tries = 0; tries < 5; tries++) {
		e = scha_resource_open(hp->resource, hp->group, &h);
		if (e != SCHA_ERR_NOERR)
			break;
		e = ext_int(h, "Port", &hp->port);
		if (e == SCHA_ERR_NOERR)
			e = ext_int(h, "Heartbeat_age", &hp->heartbeat_age);
		if (e == SCHA_ERR_NOERR)
			e = ext_str(h, "Greeting", hp->greeting, sizeof (hp->greeting));
		if (e == SCHA_ERR_NOERR)
			e = ext_str(h, "Workdir", dir, sizeof (dir));
		if (e == SCHA_ERR_NOERR)
			e = scha_resource_get(h, SCHA_THOROUGH_PROBE_INTERVAL, &hp->probe_interval);
		(void) scha_resource_close(h);
		if (e != SCHA_ERR_SEQID)
			break;
		sleep(1);
	}
	if (e != SCHA_ERR_NOERR) {
		hello_log(hp, LOG_ERR, "reading properties of %s: %s", hp->resource, scha_strerror(e));
		return (e);
	}
	if (dir[0] == '\0') {
		default_workdir(dir, sizeof (dir));
		if (dir[0] == '\0') {
			hello_log(hp, LOG_ERR, "Workdir is empty and the path beside rgmd's socket is too long");
			return (SCHA_ERR_INVAL);
		}
	}
	snprintf(hp->workdir, sizeof (hp->workdir), "%s/%s", dir, hp->resource);
	return (SCHA_ERR_NOERR);
}

void
hello_path(const struct hello *hp, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", hp->workdir, name);
}

void
hello_log(const struct hello *hp, int prio, const char *fmt, ...)
{
	char msg[512], tag[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof (msg), fmt, ap);
	va_end(ap);
	/* The Solaris Cluster tag convention: SC[type,group,resource,method]. */
	snprintf(tag, sizeof (tag), "SC[%s,%s,%s,%s]", hp->type, hp->group, hp->resource, hp->method);
	openlog(tag, LOG_PID, hp->facility);
	syslog(prio, "%s", msg);
	closelog();
	fprintf(stderr, "%s: %s\n", tag, msg);
}

int
hello_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f == NULL)
		return (0);
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH)
		pid = 0;
	if (pid > 0) {
		/* A zombie (exited, not yet reaped by its new parent) is gone too. */
		char stat[64], state = 0;

		snprintf(stat, sizeof (stat), "/proc/%d/stat", pid);
		if ((f = fopen(stat, "r")) != NULL) {
			if (fscanf(f, "%*d (%*[^)]) %c", &state) == 1 && state == 'Z')
				pid = 0;
			fclose(f);
		}
	}
	return (pid);
}

void
hello_status(const struct hello *hp, scha_rsstatus_t st, const char *msg)
{
	scha_err_t e = scha_resource_setstatus(hp->resource, hp->group, st, msg);

	if (e != SCHA_ERR_NOERR)
		hello_log(hp, LOG_ERR, "scha_resource_setstatus: %s", scha_strerror(e));
}
