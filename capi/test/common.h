/*
 * Helpers shared by the C tests of libscha. Each test is its own program,
 * run by capi/ctest against a real rgmd (RGM_SOCKET set) under valgrind;
 * it exits 0 when every check passed and prints what failed otherwise.
 */
#ifndef CTEST_COMMON_H
#define CTEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scha.h>

/* orgm_live_allocs is libscha's private count of C blocks owned by open
 * handles: a leak there is referenced from the Go heap, which valgrind
 * counts as reachable, so the tests check it themselves. */
extern int orgm_live_allocs(void);

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_ERR(call, want) do { \
	scha_err_t e_ = (call); \
	if (e_ != (want)) { \
		fprintf(stderr, "%s:%d: %s = %d (%s), want %d (%s)\n", __FILE__, __LINE__, \
		    #call, (int)e_, scha_strerror(e_), (int)(want), scha_strerror(want)); \
		failures++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ == NULL || strcmp(g_, w_) != 0) { \
		fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
		    #got, g_ ? g_ : "(null)", w_); \
		failures++; \
	} \
} while (0)

static int
finish(void)
{
	int live = orgm_live_allocs();

	if (live != 0) {
		fprintf(stderr, "libscha still holds %d blocks after every handle was closed\n", live);
		failures++;
	}
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return (1);
	}
	return (0);
}

#endif
