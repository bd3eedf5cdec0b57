/*
 * handles: the handle rules of scha_resource_get(3HA) on every kind of
 * handle. Run as `handles RESOURCE GROUP TYPE`, where RESOURCE is in
 * GROUP, of TYPE, and may have its status set by the caller.
 */
#include "common.h"

int
main(int argc, char **argv)
{
	const char *r, *rg, *rt;
	scha_resource_t h, h2;
	scha_resourcetype_t th;
	scha_resourcegroup_t gh;
	scha_cluster_t ch;
	char *s1 = NULL, *s2 = NULL, *untouched = (char *)"untouched";
	scha_rsstate_t state;
	scha_str_array_t *list = NULL;
	int stackvar = 0, n;
	void *freed;

	if (argc != 4) {
		fprintf(stderr, "usage: handles RESOURCE GROUP TYPE\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	rt = argv[3];

	/* Open: unknown objects, wrong group, NULL arguments. */
	CHECK_ERR(scha_resource_open("no-such-resource", NULL, &h), SCHA_ERR_RSRC);
	CHECK_ERR(scha_resource_open(r, "no-such-group", &h), SCHA_ERR_RG);
	CHECK_ERR(scha_resource_open(NULL, NULL, &h), SCHA_ERR_INVAL);
	CHECK_ERR(scha_resource_open(r, rg, NULL), SCHA_ERR_INVAL);
	CHECK_ERR(scha_resourcetype_open("no-such-type", &th), SCHA_ERR_RT);
	CHECK_ERR(scha_resourcegroup_open("no-such-group", &gh), SCHA_ERR_RG);

	/* A good handle; the group is optional. */
	CHECK_ERR(scha_resource_open(r, NULL, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_RESOURCE_STATE, &state), SCHA_ERR_NOERR);
	CHECK(state == SCHA_RSSTATE_OFFLINE);
	/* Tags in any case. */
	CHECK_ERR(scha_resource_get(h, "resource_state", &state), SCHA_ERR_NOERR);

	/* Every get returns fresh memory, valid until close. */
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &s1), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &s2), SCHA_ERR_NOERR);
	CHECK(s1 != s2);
	CHECK_STR(s1, rg);
	CHECK_STR(s2, rg);

	/* Unknown tag, and a tag of another kind: SCHA_ERR_TAG, out untouched. */
	s1 = untouched;
	CHECK_ERR(scha_resource_get(h, "NO_SUCH_TAG", &s1), SCHA_ERR_TAG);
	CHECK_ERR(scha_resource_get(h, SCHA_NODELIST, &s1), SCHA_ERR_TAG);
	CHECK_ERR(scha_resource_get(h, NULL, &s1), SCHA_ERR_TAG);
	/* An unknown extension property: SCHA_ERR_PROP, out untouched. */
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION, "No_such_prop", &s1), SCHA_ERR_PROP);
	/* A NULL input or out-pointer. */
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION, NULL, &s1), SCHA_ERR_INVAL);
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, NULL), SCHA_ERR_INVAL);
	CHECK(s1 == untouched);

	/* A handle of another kind is not a resource handle. */
	CHECK_ERR(scha_cluster_open(&ch), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(ch, SCHA_GROUP, &s1), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_resource_close(ch), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_cluster_get(h, SCHA_CLUSTERNAME, &s1), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_cluster_close(ch), SCHA_ERR_NOERR);

	/* Garbage: NULL, a stack address, a freed block, a closed handle. */
	CHECK_ERR(scha_resource_get(NULL, SCHA_GROUP, &s1), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_resource_get(&stackvar, SCHA_GROUP, &s1), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_resource_close(&stackvar), SCHA_ERR_HANDLE);
	{
		/* volatile: gcc rightly warns about a use after free. */
		void *volatile stale = malloc(16);

		free(stale);
		freed = stale;
		CHECK_ERR(scha_resource_get(freed, SCHA_GROUP, &s1), SCHA_ERR_HANDLE);
	}
	CHECK(s1 == untouched);

	/*
	 * A status change is not a configuration change: a monitor's open
	 * handle stays good after it reports.
	 */
	CHECK_ERR(scha_resource_open(r, rg, &h2), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus(r, rg, SCHA_RSSTATUS_DEGRADED, "seqid test"),
	    SCHA_ERR_NOERR);
	{
		scha_status_value_t *st = NULL;
		char cmd[512];

		CHECK_ERR(scha_resource_get(h2, SCHA_STATUS, &st), SCHA_ERR_NOERR);
		/* SCHA_ERR_SEQID: the configuration changed after open; the value still comes. */
		snprintf(cmd, sizeof cmd, "rgmadm rs set %s -p R_description=seqid-test", r);
		CHECK(system(cmd) == 0);
		CHECK_ERR(scha_resource_get(h2, SCHA_STATUS, &st), SCHA_ERR_SEQID);
		CHECK(st != NULL && st->status == SCHA_RSSTATUS_DEGRADED);
		CHECK(st != NULL && st->status_msg != NULL && strcmp(st->status_msg, "seqid test") == 0);
		/* It stays SEQID until the handle is reopened. */
		CHECK_ERR(scha_resource_get(h2, SCHA_STATUS, &st), SCHA_ERR_SEQID);
		CHECK_ERR(scha_resource_close(h2), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_open(r, rg, &h2), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_get(h2, SCHA_STATUS, &st), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_close(h2), SCHA_ERR_NOERR);
	}
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	/* Closed: every use, and a second close, is SCHA_ERR_HANDLE. */
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &s1), SCHA_ERR_HANDLE);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_HANDLE);
	CHECK(s1 == untouched);

	/* Resource type and group handles. */
	CHECK_ERR(scha_resourcetype_open(rt, &th), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_get(th, SCHA_RESOURCE_LIST, &list), SCHA_ERR_NOERR);
	CHECK(list != NULL && list->array_cnt >= 1);
	CHECK_ERR(scha_resourcetype_get(th, SCHA_RESOURCE_STATE, &state), SCHA_ERR_TAG);
	CHECK_ERR(scha_resourcetype_close(th), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_close(th), SCHA_ERR_HANDLE);

	CHECK_ERR(scha_resourcegroup_open(rg, &gh), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RESOURCE_LIST, &list), SCHA_ERR_NOERR);
	for (n = 0; list != NULL && n < (int)list->array_cnt; n++)
		if (strcmp(list->str_array[n], r) == 0)
			break;
	CHECK(list != NULL && n < (int)list->array_cnt);
	CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RG_STATE_NODE, "no-such-node", &state),
	    SCHA_ERR_NODE);
	CHECK_ERR(scha_resourcegroup_close(gh), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RESOURCE_LIST, &list), SCHA_ERR_HANDLE);

	/* Many handles open at once, closed in another order. */
	{
		scha_resource_t hs[64];
		int i;

		for (i = 0; i < 64; i++)
			CHECK_ERR(scha_resource_open(r, rg, &hs[i]), SCHA_ERR_NOERR);
		for (i = 0; i < 64; i += 2)
			CHECK_ERR(scha_resource_get(hs[i], SCHA_TYPE, &s1), SCHA_ERR_NOERR);
		for (i = 63; i >= 0; i--)
			CHECK_ERR(scha_resource_close(hs[i]), SCHA_ERR_NOERR);
	}
	return (finish());
}
