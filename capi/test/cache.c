/*
 * cache: the library keeps rgmd's answers while rgmd's change counter
 * stands still (capi/cache.go). Every change, made by anyone, must show
 * at the next get; a repeated get must still return fresh memory; and an
 * rgmd that died or was replaced must never be answered for from memory.
 *
 * Run as `cache RESOURCE GROUP` with a pipe on stdin: after each phase it
 * prints a line naming the next step the test must take (kill rgmd, start
 * it again and change the description) and waits for a line back.
 */
#include <stdarg.h>

#include "common.h"

static void
step(const char *what)
{
	char line[64];

	printf("%s\n", what);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL) {
		fprintf(stderr, "no answer to step %s\n", what);
		exit(2);
	}
}

static void
run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	CHECK(system(cmd) == 0);
}

int
main(int argc, char **argv)
{
	const char *r, *rg;
	scha_resource_t h;
	char *d1 = NULL, *d2 = NULL;
	scha_status_value_t *st = NULL;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: cache RESOURCE GROUP\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	run("rgmadm rs set %s -p R_description=first", r);
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);

	/* Asked twice with nothing changed: equal values, separate memory,
	 * so writing into one (strtok) cannot reach the next. */
	for (i = 0; i < 3; i++)
		CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d1), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d2), SCHA_ERR_NOERR);
	CHECK_STR(d1, "first");
	CHECK_STR(d2, "first");
	CHECK(d1 != d2);
	if (d1 != NULL)
		d1[0] = 'X';
	CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d2), SCHA_ERR_NOERR);
	CHECK_STR(d2, "first");

	/* Changes made by other processes show at once. */
	run("rgmadm rs set %s -p R_description=second", r);
	CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d1), SCHA_ERR_SEQID);
	CHECK_STR(d1, "second");
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_SEQID);
	run("scha_resource_setstatus -R %s -G %s -s FAULTED -m %s", r, rg, "from-the-shell");
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_SEQID);
	CHECK(st != NULL && st->status == SCHA_RSSTATUS_FAULTED);
	CHECK(st != NULL && st->status_msg != NULL && strcmp(st->status_msg, "from-the-shell") == 0);
	/* And ours, made through the library. */
	CHECK_ERR(scha_resource_setstatus(r, rg, SCHA_RSSTATUS_OK, "from-c"), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_SEQID);
	CHECK(st != NULL && st->status == SCHA_RSSTATUS_OK);

	/* rgmd killed: what was asked before is not answered from memory. */
	step("kill");
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_INTERNAL); /* the last answer kept */
	CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d1), SCHA_ERR_INTERNAL);

	/* A new rgmd, and a change made before we ask again. */
	step("restart");
	CHECK_ERR(scha_resource_get(h, SCHA_R_DESCRIPTION, &d1), SCHA_ERR_SEQID);
	CHECK_STR(d1, "third");
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	return (finish());
}
