/*
 * passback: a correct program that hands libscha the strings libscha gave
 * it, and strings of its own in blocks that end right after their NUL, as
 * every agent does (the node name from scha_cluster_getnodename into
 * SCHA_NODESTATE_NODE, a group name from SCHA_ALL_RESOURCEGROUPS into
 * scha_resourcegroup_open). Under valgrind it must run without a single
 * error: libscha may read a caller's string up to its NUL and no further.
 * Run as `passback RESOURCE GROUP`.
 */
#include <stdint.h>

#include "common.h"

#define NALIGNED 8

/* Blocks handed out by aligned(), freed at the end. */
static void *keep[64];
static int nkeep;

/*
 * aligned returns a copy of s in a block of exactly strlen(s)+1 bytes
 * that starts 16 bytes past a 32-byte boundary: a 32-byte load at its
 * start reaches past the block's end, as a vectorized scan for the NUL
 * would. malloc is asked until it gives such an address.
 */
static char *
aligned(const char *s)
{
	size_t n = strlen(s) + 1;
	void *tried[NALIGNED];
	char *p = NULL;
	int i, ntried = 0;

	while (ntried < NALIGNED) {
		p = malloc(n);
		if (p == NULL)
			break;
		if ((uintptr_t)p % 32 == 16)
			break;
		tried[ntried++] = p;
		p = NULL;
	}
	for (i = 0; i < ntried; i++)
		free(tried[i]);
	if (p == NULL) {
		fprintf(stderr, "passback: malloc gave no block at 16 mod 32\n");
		exit(1);
	}
	memcpy(p, s, n);
	if (nkeep < (int)(sizeof keep / sizeof keep[0]))
		keep[nkeep++] = p;
	return (p);
}

int
main(int argc, char **argv)
{
	const char *r, *rg;
	char *node = NULL, *node2 = NULL, *type = NULL, *group = NULL;
	scha_cluster_t ch;
	scha_resource_t h;
	scha_resourcegroup_t gh;
	scha_resourcetype_t th;
	scha_str_array_t *rgs = NULL, *rs = NULL;
	scha_node_state_t ns;
	scha_rgstate_t gs;
	scha_rsstate_t st;
	scha_extprop_value_t *x = NULL;
	uint_t id;
	int i, j, found = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: passback RESOURCE GROUP\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];

	/* The case: the node name libscha returned, back in. */
	CHECK_ERR(scha_cluster_open(&ch), SCHA_ERR_NOERR);
	for (i = 0; i < 4; i++) {
		CHECK_ERR(scha_cluster_getnodename(&node), SCHA_ERR_NOERR);
		CHECK_ERR(scha_cluster_get(ch, SCHA_NODESTATE_NODE, node, &ns), SCHA_ERR_NOERR);
		CHECK(ns == SCHA_NODE_UP);
		CHECK_ERR(scha_cluster_get(ch, SCHA_NODEID_NODENAME, node, &id), SCHA_ERR_NOERR);
		free(node);
		node = NULL;
		/* The same name, from a handle's memory. */
		CHECK_ERR(scha_cluster_get(ch, SCHA_NODENAME_LOCAL, &node2), SCHA_ERR_NOERR);
		CHECK_ERR(scha_cluster_get(ch, SCHA_NODESTATE_NODE, node2, &ns), SCHA_ERR_NOERR);
	}
	CHECK_ERR(scha_cluster_getnodename(&node), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get(ch, SCHA_NODESTATE_NODE, aligned(node), &ns), SCHA_ERR_NOERR);

	/* Every group and its resources, by the names the lists hold. */
	CHECK_ERR(scha_cluster_get(ch, SCHA_ALL_RESOURCEGROUPS, &rgs), SCHA_ERR_NOERR);
	for (i = 0; rgs != NULL && i < (int)rgs->array_cnt; i++) {
		CHECK_ERR(scha_resourcegroup_open(rgs->str_array[i], &gh), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RG_STATE_NODE, node, &gs), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RESOURCE_LIST, &rs), SCHA_ERR_NOERR);
		for (j = 0; rs != NULL && j < (int)rs->array_cnt; j++) {
			CHECK_ERR(scha_resource_open(rs->str_array[j], rgs->str_array[i], &h),
			    SCHA_ERR_NOERR);
			CHECK_ERR(scha_resource_get(h, SCHA_RESOURCE_STATE_NODE, node2, &st),
			    SCHA_ERR_NOERR);
			CHECK_ERR(scha_resource_get(h, SCHA_TYPE, &type), SCHA_ERR_NOERR);
			CHECK_ERR(scha_resourcetype_open(type, &th), SCHA_ERR_NOERR);
			CHECK_ERR(scha_resourcetype_close(th), SCHA_ERR_NOERR);
			CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
			found++;
		}
		CHECK_ERR(scha_resourcegroup_close(gh), SCHA_ERR_NOERR);
	}
	CHECK(found >= 1);

	/* Every string argument of every call, from blocks that end at the NUL. */
	CHECK_ERR(scha_resource_open(aligned(r), aligned(rg), &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, aligned("Group"), &group), SCHA_ERR_NOERR);
	CHECK_STR(group, rg);
	CHECK_ERR(scha_resource_get(h, SCHA_RESOURCE_STATE_NODE, aligned(node), &st),
	    SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION, aligned("Port"), &x), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION_NODE, aligned("Port"), aligned(node), &x),
	    SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get_zone(aligned("global"), h, SCHA_TYPE, &type), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_open(aligned(type), &th), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_close(th), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_open_zone(aligned("global"), aligned(r), NULL, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcegroup_open(aligned(rg), &gh), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcegroup_close(gh), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus(aligned(r), aligned(rg), SCHA_RSSTATUS_OK,
	    aligned("passed back")), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus_zone(aligned(r), aligned(rg), aligned("global"),
	    SCHA_RSSTATUS_OK, aligned("passed back")), SCHA_ERR_NOERR);
	/* An unknown tag is read, and refused, before anything is asked. */
	CHECK_ERR(scha_control(aligned("NO_SUCH_TAG"), aligned(rg), aligned(r)), SCHA_ERR_TAG);
	CHECK_ERR(scha_control_zone(aligned("NO_SUCH_TAG"), aligned(rg), aligned(r),
	    aligned("global")), SCHA_ERR_TAG);
	CHECK_ERR(scha_control(aligned(SCHA_CHECK_RESTART), aligned("no-such-group"),
	    aligned(r)), SCHA_ERR_RG);

	CHECK_ERR(scha_cluster_close(ch), SCHA_ERR_NOERR);
	free(node);
	for (i = 0; i < nkeep; i++)
		free(keep[i]);
	return (finish());
}
