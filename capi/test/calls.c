/*
 * calls: the functions without handles and the _zone variants. Run as
 * `calls RESOURCE GROUP NODE CLUSTER CONTROL_CODE`: NODE is rgmd's node,
 * CLUSTER its cluster name, CONTROL_CODE the exit code of
 * `scha_control -O RESTART -R RESOURCE -G GROUP` (the C call must agree).
 */
#include "common.h"

int
main(int argc, char **argv)
{
	const char *r, *rg, *node, *cluster;
	scha_err_t control_code;
	char *s = NULL;
	int fac = -1, i;
	scha_resource_t h;
	scha_resourcetype_t th;
	scha_resourcegroup_t gh;
	scha_cluster_t ch;
	scha_status_value_t *st = NULL;
	scha_str_array_t *a = NULL;
	scha_rgstate_t rgs;

	if (argc != 6) {
		fprintf(stderr, "usage: calls RESOURCE GROUP NODE CLUSTER CONTROL_CODE\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	node = argv[3];
	cluster = argv[4];
	control_code = (scha_err_t)atoi(argv[5]);

	/* strerror: pkg/scha's texts, static, for every code and beyond. */
	CHECK_STR(scha_strerror(SCHA_ERR_NOERR), "no error");
	CHECK_STR(scha_strerror(SCHA_ERR_TAG), "invalid API tag");
	CHECK_STR(scha_strerror(SCHA_ERR_ZC_DOWN), "zone cluster is down");
	CHECK_STR(scha_strerror((scha_err_t)999), "unknown error");
	CHECK_STR(scha_strerror((scha_err_t)-1), "unknown error");
	for (i = 0; i <= SCHA_ERR_ZC_DOWN; i++) {
		CHECK(scha_strerror((scha_err_t)i) == scha_strerror((scha_err_t)i));
		CHECK_STR(scha_strerror_i18n((scha_err_t)i), scha_strerror((scha_err_t)i));
	}

	/* Node name and zone: the caller frees them. */
	CHECK_ERR(scha_cluster_getnodename(&s), SCHA_ERR_NOERR);
	CHECK_STR(s, node);
	free(s);
	s = NULL;
	CHECK_ERR(scha_cluster_getzone(&s), SCHA_ERR_NOERR);
	CHECK_STR(s, node);
	free(s);
	CHECK_ERR(scha_cluster_getnodename(NULL), SCHA_ERR_INVAL);
	CHECK_ERR(scha_cluster_getnodename_zone(NULL, &s), SCHA_ERR_NOERR);
	CHECK_STR(s, node);
	free(s);
	CHECK_ERR(scha_cluster_getnodename_zone(cluster, &s), SCHA_ERR_NOERR);
	CHECK_STR(s, node);
	free(s);
	s = (char *)"unchanged";
	CHECK_ERR(scha_cluster_getnodename_zone("no-such-zc", &s), SCHA_ERR_ZONE_CLUSTER);
	CHECK(s == NULL);
	CHECK_ERR(scha_cluster_getnodename_zone(NULL, NULL), SCHA_ERR_INVAL);
	CHECK_ERR(scha_cluster_getlogfacility(&fac), SCHA_ERR_NOERR);
	CHECK(fac == 24);
	CHECK_ERR(scha_cluster_getlogfacility(NULL), SCHA_ERR_INVAL);

	/* setstatus: every status, with and without a message. */
	CHECK_ERR(scha_resource_setstatus(r, rg, SCHA_RSSTATUS_FAULTED, "probe failed"),
	    SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_NOERR);
	CHECK(st->status == SCHA_RSSTATUS_FAULTED);
	CHECK_STR(st->status_msg, "probe failed");
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus(r, rg, SCHA_RSSTATUS_UNKNOWN, NULL), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_open(r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get(h, SCHA_STATUS, &st), SCHA_ERR_NOERR);
	CHECK(st->status == SCHA_RSSTATUS_UNKNOWN);
	CHECK(st->status_msg == NULL);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus(r, rg, (scha_rsstatus_t)42, NULL), SCHA_ERR_RSTATUS);
	CHECK_ERR(scha_resource_setstatus("no-such-resource", rg, SCHA_RSSTATUS_OK, NULL),
	    SCHA_ERR_RSRC);
	CHECK_ERR(scha_resource_setstatus(r, NULL, SCHA_RSSTATUS_OK, NULL), SCHA_ERR_INVAL);
	CHECK_ERR(scha_resource_setstatus_zone(r, rg, "global", SCHA_RSSTATUS_OK, "zone ok"),
	    SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_setstatus_zone(r, rg, "no-such-zone", SCHA_RSSTATUS_OK, NULL),
	    SCHA_ERR_ZONE_CLUSTER);

	/* control: tags in any case; the same answer as the shell command. */
	CHECK_ERR(scha_control("NO_SUCH_TAG", rg, r), SCHA_ERR_TAG);
	CHECK_ERR(scha_control(NULL, rg, r), SCHA_ERR_TAG);
	CHECK_ERR(scha_control(SCHA_RESTART, rg, r), control_code);
	CHECK_ERR(scha_control("restart", rg, r), control_code);
	CHECK_ERR(scha_control_zone(SCHA_RESTART, rg, r, NULL), control_code);
	CHECK_ERR(scha_control_zone(SCHA_RESTART, rg, r, "no-such-zone"), SCHA_ERR_ZONE_CLUSTER);

	/* _zone variants: NULL, "global" and the cluster's name are here. */
	CHECK_ERR(scha_resource_open_zone(cluster, r, rg, &h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_get_zone(cluster, h, SCHA_STATUS, &st), SCHA_ERR_NOERR);
	CHECK_STR(st->status_msg, "zone ok");
	CHECK_ERR(scha_resource_get_zone("no-such-zone", h, SCHA_STATUS, &st),
	    SCHA_ERR_ZONE_CLUSTER);
	CHECK_ERR(scha_resource_close(h), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resource_open_zone("no-such-zone", r, rg, &h), SCHA_ERR_ZONE_CLUSTER);

	CHECK_ERR(scha_resourcegroup_open_zone("global", rg, &gh), SCHA_ERR_NOERR);
	CHECK_ERR(scha_resourcegroup_get_zone(NULL, gh, SCHA_RG_STATE, &rgs), SCHA_ERR_NOERR);
	CHECK(rgs == SCHA_RGSTATE_UNMANAGED || rgs == SCHA_RGSTATE_OFFLINE);
	CHECK_ERR(scha_resourcegroup_close(gh), SCHA_ERR_NOERR);

	CHECK_ERR(scha_cluster_open_zone(NULL, &ch), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_get_zone("global", ch, SCHA_CLUSTERNAME, &s), SCHA_ERR_NOERR);
	CHECK_STR(s, cluster);
	CHECK_ERR(scha_cluster_get_zone(cluster, ch, SCHA_ALL_NODENAMES, &a), SCHA_ERR_NOERR);
	CHECK(a->array_cnt >= 1);
	CHECK_ERR(scha_cluster_close(ch), SCHA_ERR_NOERR);
	CHECK_ERR(scha_cluster_open_zone("no-such-zone", &ch), SCHA_ERR_ZONE_CLUSTER);

	{
		scha_resource_t rh;

		CHECK_ERR(scha_resource_open(r, rg, &rh), SCHA_ERR_NOERR);
		CHECK_ERR(scha_resource_close(rh), SCHA_ERR_NOERR);
	}
	CHECK_ERR(scha_resourcetype_open_zone("no-such-zone", "x", &th), SCHA_ERR_ZONE_CLUSTER);
	return (finish());
}
