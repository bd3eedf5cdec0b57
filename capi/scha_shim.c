/*
 * scha_shim.c: the public functions of libscha.so.1.
 *
 * cgo cannot export a variadic function, so the scha_*_get functions live
 * here: each asks Go how many inputs its tag takes and of which C type
 * (orgm_taginfo), reads them and the out-pointer with va_arg, and calls
 * the fixed-argument export orgm_get. An unknown tag is answered before
 * any va_arg, since its arguments can't be known. The other functions
 * only add the const-qualified public signatures of scha.h to the Go
 * exports, as libtailscale's tailscale.c does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>

#include "scha.h"
#include "_cgo_export.h"

/* Object kinds; the order of kindResource... in enums.go. */
enum { ORGM_KIND_RESOURCE, ORGM_KIND_RT, ORGM_KIND_RG, ORGM_KIND_CLUSTER };

/* Inputs a tag may take: EXTENSION_NODE has the most, two. */
#define ORGM_MAX_OPERANDS 2

static scha_err_t
vget(int kind, const char *zone, void *handle, const char *tag, va_list ap)
{
	int nops = 0, uintmask = 0, i;
	char *ops[ORGM_MAX_OPERANDS] = { NULL, NULL };
	/* uint_t node ids, formatted for the query. */
	char idbuf[ORGM_MAX_OPERANDS][16];
	void *out;
	scha_err_t e;

	e = (scha_err_t)orgm_taginfo(kind, handle, (char *)tag, &nops, &uintmask);
	if (e != SCHA_ERR_NOERR)
		return (e);
	if (nops < 0 || nops > ORGM_MAX_OPERANDS)
		return (SCHA_ERR_INTERNAL);
	for (i = 0; i < nops; i++) {
		if (uintmask & (1 << i)) {
			snprintf(idbuf[i], sizeof (idbuf[i]), "%u", va_arg(ap, uint_t));
			ops[i] = idbuf[i];
		} else {
			ops[i] = va_arg(ap, char *);
		}
	}
	out = va_arg(ap, void *);
	return ((scha_err_t)orgm_get(kind, (char *)zone, handle, (char *)tag, nops, ops, out));
}

/* Resources */

scha_err_t
scha_resource_open(const char *rname, const char *rgname, scha_resource_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RESOURCE, NULL, (char *)rname, (char *)rgname, handle));
}

scha_err_t
scha_resource_open_zone(const char *cluster, const char *rname, const char *rgname,
    scha_resource_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RESOURCE, (char *)cluster, (char *)rname,
	    (char *)rgname, handle));
}

scha_err_t
scha_resource_get(scha_resource_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RESOURCE, NULL, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resource_get_zone(const char *cluster, scha_resource_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RESOURCE, cluster, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resource_close(scha_resource_t handle)
{
	return ((scha_err_t)orgm_close(ORGM_KIND_RESOURCE, handle));
}

scha_err_t
scha_resource_setstatus(const char *rname, const char *rgname, scha_rsstatus_t status,
    const char *status_msg)
{
	return ((scha_err_t)orgm_setstatus(NULL, (char *)rname, (char *)rgname, (int)status,
	    (char *)status_msg));
}

scha_err_t
scha_resource_setstatus_zone(const char *rname, const char *rgname, const char *zonename,
    scha_rsstatus_t status, const char *status_msg)
{
	return ((scha_err_t)orgm_setstatus((char *)zonename, (char *)rname, (char *)rgname,
	    (int)status, (char *)status_msg));
}

/* Resource types */

scha_err_t
scha_resourcetype_open(const char *rtname, scha_resourcetype_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RT, NULL, (char *)rtname, NULL, handle));
}

scha_err_t
scha_resourcetype_open_zone(const char *cluster, const char *rtname, scha_resourcetype_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RT, (char *)cluster, (char *)rtname, NULL, handle));
}

scha_err_t
scha_resourcetype_get(scha_resourcetype_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RT, NULL, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resourcetype_get_zone(const char *cluster, scha_resourcetype_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RT, cluster, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resourcetype_close(scha_resourcetype_t handle)
{
	return ((scha_err_t)orgm_close(ORGM_KIND_RT, handle));
}

/* Resource groups */

scha_err_t
scha_resourcegroup_open(const char *rgname, scha_resourcegroup_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RG, NULL, (char *)rgname, NULL, handle));
}

scha_err_t
scha_resourcegroup_open_zone(const char *cluster, const char *rgname, scha_resourcegroup_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_RG, (char *)cluster, (char *)rgname, NULL, handle));
}

scha_err_t
scha_resourcegroup_get(scha_resourcegroup_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RG, NULL, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resourcegroup_get_zone(const char *cluster, scha_resourcegroup_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_RG, cluster, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_resourcegroup_close(scha_resourcegroup_t handle)
{
	return ((scha_err_t)orgm_close(ORGM_KIND_RG, handle));
}

/* Cluster */

scha_err_t
scha_cluster_open(scha_cluster_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_CLUSTER, NULL, NULL, NULL, handle));
}

scha_err_t
scha_cluster_open_zone(const char *cluster, scha_cluster_t *handle)
{
	return ((scha_err_t)orgm_open(ORGM_KIND_CLUSTER, (char *)cluster, NULL, NULL, handle));
}

scha_err_t
scha_cluster_get(scha_cluster_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_CLUSTER, NULL, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_cluster_get_zone(const char *cluster, scha_cluster_t handle, const char *tag, ...)
{
	va_list ap;
	scha_err_t e;

	va_start(ap, tag);
	e = vget(ORGM_KIND_CLUSTER, cluster, handle, tag, ap);
	va_end(ap);
	return (e);
}

scha_err_t
scha_cluster_close(scha_cluster_t handle)
{
	return ((scha_err_t)orgm_close(ORGM_KIND_CLUSTER, handle));
}

scha_err_t
scha_cluster_getlogfacility(int *logfacility)
{
	return ((scha_err_t)orgm_logfacility(logfacility));
}

/* The name is NULL on failure, as scha_cluster_getnodename(3HA) says. */
scha_err_t
scha_cluster_getnodename(char **nodename)
{
	if (nodename == NULL)
		return (SCHA_ERR_INVAL);
	*nodename = NULL;
	return ((scha_err_t)orgm_cluster_string("NODENAME_LOCAL", nodename));
}

/*
 * The node name, asked of the cluster named: "" (NULL) or "global" is this
 * cluster; any other name is checked as scha_cluster_open_zone() checks it.
 */
scha_err_t
scha_cluster_getnodename_zone(const char *cluster, char **nodename)
{
	scha_cluster_t h;
	scha_err_t e;

	if (nodename == NULL)
		return (SCHA_ERR_INVAL);
	*nodename = NULL;
	e = scha_cluster_open_zone(cluster, &h);
	if (e != SCHA_ERR_NOERR)
		return (e);
	(void) scha_cluster_close(h);
	return ((scha_err_t)orgm_cluster_string("NODENAME_LOCAL", nodename));
}

scha_err_t
scha_cluster_getzone(char **zonename)
{
	if (zonename == NULL)
		return (SCHA_ERR_INVAL);
	*zonename = NULL;
	return ((scha_err_t)orgm_cluster_string("ZONE_LOCAL", zonename));
}

/* Control */

scha_err_t
scha_control(const char *tag, const char *rgname, const char *rname)
{
	return ((scha_err_t)orgm_control(NULL, (char *)tag, (char *)rgname, (char *)rname));
}

scha_err_t
scha_control_zone(const char *tag, const char *rgname, const char *rname, const char *zonename)
{
	return ((scha_err_t)orgm_control((char *)zonename, (char *)tag, (char *)rgname,
	    (char *)rname));
}

/* Error texts */

char *
scha_strerror(scha_err_t error_code)
{
	char *s = orgm_strerror((int)error_code);

	return (s != NULL ? s : "internal error was encountered");
}

/* OpenRGM has no message catalogs: the text is the English one. */
char *
scha_strerror_i18n(scha_err_t error_code)
{
	return (scha_strerror(error_code));
}
