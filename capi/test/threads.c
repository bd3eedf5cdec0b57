/*
 * threads: libscha from several threads at once, each with its own
 * handles, plus all of them sharing one handle, and a thread that closes
 * a handle others use. Run as `threads RESOURCE GROUP`.
 */
#include <pthread.h>

#include "common.h"

#define NTHREADS 4
#define LOOPS 200

static const char *r, *rg;
static scha_resource_t shared;
static int errors[NTHREADS];

static void *
worker(void *arg)
{
	int id = (int)(long)arg, i;

	for (i = 0; i < LOOPS; i++) {
		scha_resource_t h;
		scha_rsstate_t st;
		char *g = NULL;
		scha_extprop_value_t *x = NULL;

		if (scha_resource_open(r, rg, &h) != SCHA_ERR_NOERR ||
		    scha_resource_get(h, SCHA_RESOURCE_STATE, &st) != SCHA_ERR_NOERR ||
		    scha_resource_get(h, SCHA_GROUP, &g) != SCHA_ERR_NOERR ||
		    strcmp(g, rg) != 0 ||
		    scha_resource_close(h) != SCHA_ERR_NOERR)
			errors[id]++;
		/* The shared handle: gets from every thread, one at a time. */
		if (scha_resource_get(shared, SCHA_EXTENSION, "Port", &x) != SCHA_ERR_NOERR ||
		    x->prop_type != SCHA_PTYPE_INT)
			errors[id]++;
	}
	return (NULL);
}

static scha_resource_t victim;

/* Gets on a handle that the main thread closes meanwhile: every call
 * returns NOERR before the close and SCHA_ERR_HANDLE after, never a crash. */
static void *
racer(void *arg)
{
	int i, closed = 0;

	(void)arg;
	for (i = 0; i < 500; i++) {
		char *t = NULL;
		scha_err_t e = scha_resource_get(victim, SCHA_TYPE, &t);

		if (e == SCHA_ERR_HANDLE)
			closed = 1;
		else if (e != SCHA_ERR_NOERR || closed)
			errors[0]++;
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	pthread_t t[NTHREADS], rt;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: threads RESOURCE GROUP\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	CHECK_ERR(scha_resource_open(r, rg, &shared), SCHA_ERR_NOERR);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)(long)i) == 0);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	for (i = 0; i < NTHREADS; i++)
		CHECK(errors[i] == 0);
	CHECK_ERR(scha_resource_close(shared), SCHA_ERR_NOERR);

	CHECK_ERR(scha_resource_open(r, rg, &victim), SCHA_ERR_NOERR);
	CHECK(pthread_create(&rt, NULL, racer, NULL) == 0);
	CHECK_ERR(scha_resource_close(victim), SCHA_ERR_NOERR);
	CHECK(pthread_join(rt, NULL) == 0);
	CHECK(errors[0] == 0);
	return (finish());
}
