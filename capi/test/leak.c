/*
 * leak: deliberately leaks, to prove that valgrind with libscha.supp still
 * reports a leak in C code (capi/ctest's TestValgrindCatchesLeak expects
 * this program to fail under valgrind). It drops the node name
 * scha_cluster_getnodename() returned, which the caller must free, and a
 * block of its own.
 */
#include "common.h"

int
main(void)
{
	char *name = NULL;
	char *mine = malloc(100);

	CHECK_ERR(scha_cluster_getnodename(&name), SCHA_ERR_NOERR);
	name = NULL;
	snprintf(mine, 100, "leaked");
	mine = NULL;
	return (finish());
}
