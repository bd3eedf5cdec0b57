/*
 * get: answers scha_*_get queries read from stdin, one per line,
 *
 *	KIND NAME GROUP TAG TYPE [OPERAND ...]
 *
 * (KIND resource, resourcetype, resourcegroup or cluster; "-" for an
 * unused NAME or GROUP; an OPERAND "#n" is passed as the uint_t n) and
 * prints, for each, "== CODE" and then the value in the format of the
 * scha_* commands. capi/ctest runs the same queries through the shell
 * commands and compares: the C API must give the same answers. Each query
 * opens, gets and closes its own handle; the handle is reused for a second
 * get so that the memory of both must stay valid until the close.
 */
#include <ctype.h>

#include "common.h"

static const char *rsstate[] = { "ONLINE", "OFFLINE", "START_FAILED", "STOP_FAILED",
    "MONITOR_FAILED", "ONLINE_NOT_MONITORED", "STARTING", "STOPPING", "DETACHED" };
static const char *rgstate[] = { "UNMANAGED", "ONLINE", "OFFLINE", "PENDING_ONLINE",
    "PENDING_OFFLINE", "ERROR_STOP_FAILED", "ONLINE_FAULTED", "PENDING_ONLINE_BLOCKED" };
static const char *sw[] = { "DISABLED", "ENABLED" };
static const char *rgmode[] = { "NONE", "Failover", "Scalable" };
static const char *fomode[] = { "NONE", "HARD", "SOFT", "RESTART_ONLY", "LOG_ONLY" };
static const char *inflag[] = { "RG_PRIMARIES", "RT_INSTALLED_NODES" };
static const char *nodestate[] = { "UP", "DOWN" };
static const char *rsstatus[] = { "OK", "OFFLINE", "FAULTED", "DEGRADED", "UNKNOWN" };
static const char *ptype[] = { "STRING", "INT", "BOOLEAN", "ENUM", "STRINGARRAY",
    "UINTARRAY", "UINT" };

#define N(a) (int)(sizeof (a) / sizeof ((a)[0]))

static const char *
enum_name(const char *anycase, int v)
{
	const char **t = NULL;
	int n = 0;
	char tag[64];
	size_t i;

	/* Tags come in any case. */
	for (i = 0; anycase[i] != '\0' && i < sizeof (tag) - 1; i++)
		tag[i] = (char)toupper((unsigned char)anycase[i]);
	tag[i] = '\0';

	if (strncmp(tag, "RESOURCE_STATE", 14) == 0) { t = rsstate; n = N(rsstate); }
	else if (strncmp(tag, "RG_STATE", 8) == 0) { t = rgstate; n = N(rgstate); }
	else if (strstr(tag, "_SWITCH") != NULL) { t = sw; n = N(sw); }
	else if (strcmp(tag, "RG_MODE") == 0) { t = rgmode; n = N(rgmode); }
	else if (strcmp(tag, "FAILOVER_MODE") == 0) { t = fomode; n = N(fomode); }
	else if (strcmp(tag, "INIT_NODES") == 0) { t = inflag; n = N(inflag); }
	else if (strncmp(tag, "NODESTATE", 9) == 0) { t = nodestate; n = N(nodestate); }
	if (t == NULL || v < 0 || v >= n)
		return ("?");
	return (t[v]);
}

static void
print_strarray(const scha_str_array_t *a)
{
	uint_t i;

	for (i = 0; i < a->array_cnt; i++)
		printf("%s\n", a->str_array[i]);
	/* The array is NULL-terminated, and "*" alone is "all". */
	CHECK(a->str_array[a->array_cnt] == NULL);
	CHECK(a->is_ALL_value == (a->array_cnt == 1 && strcmp(a->str_array[0], "*") == 0));
}

static void
print_uintarray(const scha_uint_array_t *a)
{
	uint_t i;

	for (i = 0; i < a->array_cnt; i++)
		printf("%u\n", a->uint_array[i]);
}

/* get calls the kind's get with n operands (strings or uint_t ids). */
static scha_err_t
get(const char *kind, void *h, const char *tag, int n, char **ops, void *out)
{
	scha_err_t (*fn)(void *, const char *, ...);
	unsigned id[2];
	int isid[2] = { 0, 0 }, i;

	if (strcmp(kind, "resource") == 0) fn = scha_resource_get;
	else if (strcmp(kind, "resourcetype") == 0) fn = scha_resourcetype_get;
	else if (strcmp(kind, "resourcegroup") == 0) fn = scha_resourcegroup_get;
	else fn = scha_cluster_get;
	for (i = 0; i < n && i < 2; i++) {
		if (ops[i][0] == '#') {
			isid[i] = 1;
			id[i] = (unsigned)strtoul(ops[i] + 1, NULL, 10);
		}
	}
	switch (n) {
	case 0:
		return (fn(h, tag, out));
	case 1:
		if (isid[0])
			return (fn(h, tag, id[0], out));
		return (fn(h, tag, ops[0], out));
	default:
		return (fn(h, tag, ops[0], ops[1], out));
	}
}

/* print gets tag through h and prints the value; returns the code. */
static scha_err_t
query(const char *kind, void *h, const char *tag, const char *type, int n, char **ops)
{
	union {
		char *s; int i; uint_t u; boolean_t b;
		scha_str_array_t *sa; scha_uint_array_t *ua;
		scha_status_value_t *st; scha_extprop_value_t *ext;
	} v;
	scha_err_t e;

	memset(&v, 0, sizeof (v));
	e = get(kind, h, tag, n, ops, &v);
	printf("== %d\n", (int)e);
	if (e != SCHA_ERR_NOERR && e != SCHA_ERR_SEQID)
		return (e);
	if (strcmp(type, "string") == 0) {
		printf("%s\n", v.s);
	} else if (strcmp(type, "int") == 0) {
		printf("%d\n", v.i);
	} else if (strcmp(type, "uint") == 0) {
		printf("%u\n", v.u);
	} else if (strcmp(type, "boolean") == 0) {
		CHECK(v.b == B_TRUE || v.b == B_FALSE);
		printf("%s\n", v.b == B_TRUE ? "TRUE" : "FALSE");
	} else if (strcmp(type, "enum") == 0) {
		printf("%s\n", enum_name(tag, v.i));
	} else if (strcmp(type, "string_array") == 0) {
		print_strarray(v.sa);
	} else if (strcmp(type, "uint_array") == 0) {
		print_uintarray(v.ua);
	} else if (strcmp(type, "status") == 0) {
		printf("%s\n%s\n", rsstatus[v.st->status], v.st->status_msg ? v.st->status_msg : "");
		CHECK(v.st->status_msg == NULL || v.st->status_msg[0] != '\0');
	} else if (strcmp(type, "extension") == 0) {
		scha_extprop_value_t *x = v.ext;

		printf("%s\n", ptype[x->prop_type]);
		switch (x->prop_type) {
		case SCHA_PTYPE_STRING: printf("%s\n", x->val.val_str); break;
		case SCHA_PTYPE_ENUM: printf("%s\n", x->val.val_enum); break;
		case SCHA_PTYPE_INT: printf("%d\n", x->val.val_int); break;
		case SCHA_PTYPE_UINT: printf("%u\n", x->val.val_uint); break;
		case SCHA_PTYPE_BOOLEAN: printf("%s\n", x->val.val_boolean ? "TRUE" : "FALSE"); break;
		case SCHA_PTYPE_STRINGARRAY: print_strarray(x->val.val_strarray); break;
		case SCHA_PTYPE_UINTARRAY: print_uintarray(x->val.val_uintarray); break;
		}
	} else {
		fprintf(stderr, "unknown type %s\n", type);
		failures++;
	}
	return (e);
}

int
main(void)
{
	char line[1024];

	while (fgets(line, sizeof (line), stdin) != NULL) {
		char *f[8], *save = NULL, *p;
		int n = 0;
		void *h = NULL;
		scha_err_t e;
		const char *kind, *name, *group, *tag, *type;

		for (p = strtok_r(line, " \n", &save); p && n < 8; p = strtok_r(NULL, " \n", &save))
			f[n++] = p;
		if (n < 5) {
			fprintf(stderr, "bad query line\n");
			return (2);
		}
		kind = f[0];
		name = strcmp(f[1], "-") ? f[1] : NULL;
		group = strcmp(f[2], "-") ? f[2] : NULL;
		tag = f[3];
		type = f[4];
		if (strcmp(kind, "resource") == 0) e = scha_resource_open(name, group, &h);
		else if (strcmp(kind, "resourcetype") == 0) e = scha_resourcetype_open(name, &h);
		else if (strcmp(kind, "resourcegroup") == 0) e = scha_resourcegroup_open(name, &h);
		else e = scha_cluster_open(&h);
		if (e != SCHA_ERR_NOERR) {
			printf("== %d\n", (int)e);
			fflush(stdout);
			continue;
		}
		/* Twice on one handle: the first value must survive the second get. */
		query(kind, h, tag, type, n - 5, f + 5);
		if (strcmp(type, "string") == 0) {
			char *a = NULL, *b = NULL;

			if (get(kind, h, tag, n - 5, f + 5, &a) == SCHA_ERR_NOERR &&
			    get(kind, h, tag, n - 5, f + 5, &b) == SCHA_ERR_NOERR) {
				CHECK(a != b);
				CHECK_STR(a, b);
			}
		}
		if (strcmp(kind, "resource") == 0) e = scha_resource_close(h);
		else if (strcmp(kind, "resourcetype") == 0) e = scha_resourcetype_close(h);
		else if (strcmp(kind, "resourcegroup") == 0) e = scha_resourcegroup_close(h);
		else e = scha_cluster_close(h);
		CHECK_ERR(e, SCHA_ERR_NOERR);
		fflush(stdout);
	}
	return (finish());
}
