/*
 * afterclose: old agents read what a handle returned after closing it,
 * which worked on Solaris. libscha keeps the values of the last closed
 * handles (scha_calls(3), MEMORY): this program reads them after the
 * close, and after later calls of the library, and checks the bound.
 * Under valgrind, a read of memory close had freed is an error. Run as
 * `afterclose RESOURCE GROUP NODE N`, where N is the number of closed
 * handles whose values are kept, as scha_calls(3) states it.
 */
#include "common.h"

/*
 * orgm_quarantined_allocs: libscha's private count of the blocks of closed
 * handles it still keeps. Weak, so that this program also runs against a
 * library without the quarantine, and fails.
 */
extern int orgm_quarantined_allocs(void) __attribute__((weak));

static int
quarantined(void)
{
	return (orgm_quarantined_allocs != NULL ? orgm_quarantined_allocs() : -1);
}

static int
has(const scha_str_array_t *a, const char *s)
{
	uint_t i;

	if (a == NULL || a->str_array == NULL)
		return (0);
	for (i = 0; i < a->array_cnt; i++)
		if (a->str_array[i] != NULL && strcmp(a->str_array[i], s) == 0)
			return (1);
	return (0);
}

int
main(int argc, char **argv)
{
	const char *r, *rg, *node;
	int n, i;
	scha_cluster_t ch;
	scha_resource_t h;
	scha_resourcegroup_t gh;
	scha_resourcetype_t th;
	scha_str_array_t *rgs = NULL, *nodes = NULL, *rlist = NULL, *deps = NULL, *nl = NULL;
	char *cluster = NULL, *local = NULL, *group = NULL, *type = NULL, *s = NULL;
	scha_status_value_t *st = NULL;
	scha_extprop_value_t *port = NULL, *langs = NULL;
	scha_rgstate_t gs;
	scha_rsstate_t rs;
	char **vals;

	if (argc != 5) {
		fprintf(stderr, "usage: afterclose RESOURCE GROUP NODE N\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	node = argv[3];
	n = atoi(argv[4]);
	CHECK(n >= 2);

	/* The old agent: walk the group list after closing the cluster. */
	CHECK_ERR(scha_cluster_open(&ch), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get(ch, SCHA_ALL_RESOURCEGROUPS, &rgs), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get(ch, SCHA_ALL_NODENAMES, &nodes), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get(ch, SCHA_CLUSTERNAME, &cluster), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get(ch, SCHA_NODENAME_LOCAL, &local), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_close(ch), SCHA_ERR_NOERR);
	CHECK(rgs != NULL && rgs->array_cnt >= 1 && rgs->str_array[rgs->array_cnt] == NULL);
	CHECK(has(rgs, rg));
	CHECK(has(nodes, node));
	CHECK_STR(local, node);
	CHECK(cluster != NULL && cluster[0] != '\0');
	/* ... calling the library for each: opens, gets and closes. */
	for (i = 0; rgs != NULL && i < (int)rgs->array_cnt; i++) {
		CHECK_ERR(scha_resourcegroup_open(rgs->str_array[i], &gh), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resourcegroup_get(gh, SCHA_RG_STATE_NODE, local, &gs), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resourcegroup_get(gh, SCHA_NODELIST, &nl), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resourcegroup_close(gh), SCHA_ERR_NOERR);
		CHECK(has(nl, node));
	}
	CHECK(has(rgs, rg));
	CHECK_STR(local, node);

	/* Every kind of value a resource handle returns. */
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus(r, rg, SCHA_RSSTATUS_DEGRADED, "kept after close"),
	    SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &group), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_TYPE, &type), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION, "Port", &port), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_EXTENSION, "Languages", &langs), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_RESOURCE_DEPENDENCIES, &deps), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	/* A closed handle is still closed: its values are kept, not it. */
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &s), SCHA_ERR_HANDLE);
	CHECK_STR(group, rg);
	CHECK(st != NULL && st->status == SCHA_RSSTATUS_DEGRADED);
	CHECK(st != NULL && st->status_msg != NULL &&
	    strcmp(st->status_msg, "kept after close") == 0);
	CHECK(port != NULL && port->prop_type == SCHA_PTYPE_INT);
	CHECK(langs != NULL && langs->prop_type == SCHA_PTYPE_STRINGARRAY &&
	    has(langs->val.val_strarray, "en"));
	CHECK(deps != NULL && deps->array_cnt == 0 && deps->str_array[0] == NULL);
	/* The type handle opened by the name read after close. */
	CHECK_ERR(scha_resourcetype_open(type, &th), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_get(th, SCHA_RESOURCE_LIST, &rlist), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcetype_close(th), SCHA_ERR_NOERR);
	CHECK(has(rlist, r));
	CHECK_STR(group, rg);
	CHECK(has(rgs, rg));

	/*
	 * The bound: the values of the last n closed handles that returned
	 * any. n handles with one string each push every earlier one out.
	 */
	vals = calloc((size_t)n, sizeof *vals);
	CHECK(vals != NULL);
	for (i = 0; vals != NULL && i < n; i++) {
		CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &vals[i]), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	}
	CHECK(quarantined() == n);
	/* A handle that returned only an enum keeps nothing, pushes nothing out. */
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_RESOURCE_STATE, &rs), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK(quarantined() == n);
	for (i = 0; vals != NULL && i < n; i++)
		CHECK_STR(vals[i], rg);
	/* One more pushes the oldest out (vals[0] is freed now: unread). */
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_GROUP, &s), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK(quarantined() == n);
	for (i = 1; vals != NULL && i < n; i++)
		CHECK_STR(vals[i], rg);
	CHECK_STR(s, rg);
	free(vals);
	return (finish());
}
