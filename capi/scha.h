/*
 * scha.h: the C API of the Resource Management API (scha_calls(3HA)), as
 * OpenRGM implements it in libscha.so.1.
 *
 * Written by hand to be source-compatible with Solaris Cluster's
 * <scha.h> (which also pulled in scha_err.h and scha_tags.h; this one file
 * holds all three): a data service written for Solaris Cluster compiles
 * unchanged with
 *
 *	cc -c agent.c $(pkg-config --cflags libscha)
 *	cc -o agent agent.o $(pkg-config --libs libscha)
 *
 * Never generate this file: a Go test (capi/header_test.go) checks that its
 * error numbers, enums and tags match pkg/scha, which is the one place the
 * daemon, the shell commands and this library take them from.
 *
 * Model (see scha_resource_get(3HA)):
 *   - scha_*_open() returns an opaque handle; scha_*_get(handle, tag, ...)
 *     takes the tag's extra inputs (node name, property name, ...) right
 *     after the tag and then one typed out-pointer; scha_*_close() frees
 *     the handle and everything its gets returned.
 *   - Memory returned through a handle belongs to the handle. Each get
 *     returns fresh memory that stays valid, unchanged, until the handle is
 *     closed; never free(3) it. On failure the out-argument is not written.
 *     Exceptions: scha_cluster_getnodename() and scha_cluster_getzone()
 *     return memory the caller frees with free(3); scha_strerror() returns
 *     static text.
 *   - A get on a handle whose object changed after the open still returns
 *     the current value, and returns SCHA_ERR_SEQID; the usual answer is to
 *     close the handle, reopen it and ask again.
 *   - A closed handle, a handle of the wrong kind or a pointer that was
 *     never a handle gives SCHA_ERR_HANDLE (libscha keeps a registry of
 *     live handles and never dereferences a pointer that is not in it).
 *
 * Thread safety: every function may be called from any thread, at the same
 * time. Several threads may share one handle: their gets are served one at
 * a time. Closing a handle while another thread still uses it is the
 * caller's bug, but it is not a crash: the other thread's calls return
 * SCHA_ERR_HANDLE, and values already returned are freed by the close.
 *
 * Process rules: libscha starts a Go runtime (a few threads) when it is
 * loaded. It installs no handler for asynchronous signals (SIGCHLD,
 * SIGTERM, SIGINT, SIGHUP, ... stay the program's own; give handlers
 * SA_ONSTACK, since they may run on a runtime thread). After fork(), the
 * child may exec(); calling libscha in a child that has not exec'd is not
 * supported, nor is dlclose() of libscha.
 *
 * Tags are strings, matched in any case, shared with the -O optags of the
 * scha_* commands: SCHA_RESOURCE_STATE is "RESOURCE_STATE", the same as
 * `scha_resource_get -O RESOURCE_STATE`.
 */
#ifndef _SCHA_H
#define _SCHA_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Solaris types used by the API. A program that already has them (from a
 * Solaris compatibility header) defines SCHA_HAVE_SOLARIS_TYPES first.
 */
#ifndef SCHA_HAVE_SOLARIS_TYPES
typedef enum { B_FALSE = 0, B_TRUE = 1 } boolean_t;
typedef unsigned int uint_t;
#endif

/*
 * Error codes. 0-18 are Solaris Cluster's numbers (scripts test them as
 * exit codes of the scha_* commands); 19 onward are OpenRGM's, never to be
 * renumbered. They match pkg/scha/errors.go.
 */
typedef enum scha_err {
	SCHA_ERR_NOERR = 0,		/* success */
	SCHA_ERR_NOMEM = 1,		/* out of memory */
	SCHA_ERR_HANDLE = 2,		/* invalid handle */
	SCHA_ERR_INVAL = 3,		/* invalid argument */
	SCHA_ERR_TAG = 4,		/* invalid tag */
	SCHA_ERR_RECONF = 5,		/* cluster reconfiguring; retry */
	SCHA_ERR_ACCESS = 6,		/* permission denied */
	SCHA_ERR_SEQID = 7,		/* object changed since open */
	SCHA_ERR_DEPEND = 8,		/* dependency problem */
	SCHA_ERR_STATE = 9,		/* object in the wrong state */
	SCHA_ERR_METHOD = 10,		/* invalid method */
	SCHA_ERR_NODE = 11,		/* invalid node */
	SCHA_ERR_RG = 12,		/* invalid resource group */
	SCHA_ERR_RT = 13,		/* invalid resource type */
	SCHA_ERR_RSRC = 14,		/* invalid resource */
	SCHA_ERR_PROP = 15,		/* invalid property */
	SCHA_ERR_CHECKS = 16,		/* sanity checks failed */
	SCHA_ERR_RSTATUS = 17,		/* bad resource status */
	SCHA_ERR_INTERNAL = 18,		/* internal error */
	SCHA_ERR_TIMEOUT = 19,		/* timed out */
	SCHA_ERR_CLUSTER = 20,		/* invalid cluster */
	SCHA_ERR_ZONE_CLUSTER = 21,	/* invalid zone cluster */
	SCHA_ERR_ZC_DOWN = 22		/* zone cluster is down */
} scha_err_t;

/* Opaque handles. Real agents declare them void * when using dlsym. */
typedef void *scha_resource_t;
typedef void *scha_resourcetype_t;
typedef void *scha_resourcegroup_t;
typedef void *scha_cluster_t;

/*
 * A string array. is_ALL_value is B_TRUE when the property holds "all"
 * (INSTALLED_NODES, GLOBAL_RESOURCES_USED set to "*"); the array then still
 * holds the one element "*", which is what the shell prints. str_array has
 * array_cnt elements followed by a NULL.
 */
typedef struct scha_str_array {
	uint_t array_cnt;
	boolean_t is_ALL_value;
	char **str_array;
} scha_str_array_t;

typedef struct scha_uint_array {
	uint_t array_cnt;
	uint_t *uint_array;
} scha_uint_array_t;

/* On_off_switch and Monitored_switch. */
typedef enum scha_switch {
	SCHA_SWITCH_DISABLED = 0,
	SCHA_SWITCH_ENABLED
} scha_switch_t;

/* Resource status, set by scha_resource_setstatus(). */
typedef enum scha_rsstatus {
	SCHA_RSSTATUS_OK = 0,
	SCHA_RSSTATUS_OFFLINE,
	SCHA_RSSTATUS_FAULTED,
	SCHA_RSSTATUS_DEGRADED,
	SCHA_RSSTATUS_UNKNOWN
} scha_rsstatus_t;

/* STATUS: status_msg is NULL when no message is set. */
typedef struct scha_status_value {
	scha_rsstatus_t status;
	char *status_msg;
} scha_status_value_t;

/* Resource state on a node (RESOURCE_STATE). */
typedef enum scha_rsstate {
	SCHA_RSSTATE_ONLINE = 0,
	SCHA_RSSTATE_OFFLINE,
	SCHA_RSSTATE_START_FAILED,
	SCHA_RSSTATE_STOP_FAILED,
	SCHA_RSSTATE_MONITOR_FAILED,
	SCHA_RSSTATE_ONLINE_NOT_MONITORED,
	SCHA_RSSTATE_STARTING,
	SCHA_RSSTATE_STOPPING,
	SCHA_RSSTATE_DETACHED
} scha_rsstate_t;

/* Resource group state on a node (RG_STATE). */
typedef enum scha_rgstate {
	SCHA_RGSTATE_UNMANAGED = 0,
	SCHA_RGSTATE_ONLINE,
	SCHA_RGSTATE_OFFLINE,
	SCHA_RGSTATE_PENDING_ONLINE,
	SCHA_RGSTATE_PENDING_OFFLINE,
	SCHA_RGSTATE_ERROR_STOP_FAILED,
	SCHA_RGSTATE_ONLINE_FAULTED,
	SCHA_RGSTATE_PENDING_ONLINE_BLOCKED
} scha_rgstate_t;

/* RG_MODE. RGMODE_NONE is never returned. */
typedef enum scha_rgmode {
	RGMODE_NONE = 0,
	RGMODE_FAILOVER,
	RGMODE_SCALABLE
} scha_rgmode_t;

/* FAILOVER_MODE. */
typedef enum scha_failover_mode {
	SCHA_FOMODE_NONE = 0,
	SCHA_FOMODE_HARD,
	SCHA_FOMODE_SOFT,
	SCHA_FOMODE_RESTART_ONLY,
	SCHA_FOMODE_LOG_ONLY
} scha_failover_mode_t;

/* INIT_NODES. */
typedef enum scha_initnodes_flag {
	SCHA_INFLAG_RG_PRIMARIES = 0,
	SCHA_INFLAG_RT_INSTALLED_NODES
} scha_initnodes_flag_t;

/* NODESTATE_LOCAL, NODESTATE_NODE. */
typedef enum scha_node_state {
	SCHA_NODE_UP = 0,
	SCHA_NODE_DOWN
} scha_node_state_t;

/* Type of an extension property (EXTENSION, EXTENSION_NODE). */
typedef enum scha_prop_type {
	SCHA_PTYPE_STRING = 0,
	SCHA_PTYPE_INT,
	SCHA_PTYPE_BOOLEAN,
	SCHA_PTYPE_ENUM,
	SCHA_PTYPE_STRINGARRAY,
	SCHA_PTYPE_UINTARRAY,
	SCHA_PTYPE_UINT
} scha_prop_type_t;

/*
 * An extension property's value: the union member named after prop_type
 * holds it (val_enum is the enum literal as the RTR file spells it).
 */
typedef struct scha_extprop_value {
	scha_prop_type_t prop_type;
	union {
		char *val_str;
		int val_int;
		char *val_enum;
		boolean_t val_boolean;
		scha_str_array_t *val_strarray;
		uint_t val_uint;
		scha_uint_array_t *val_uintarray;
	} val;
} scha_extprop_value_t;

/*
 * Tags of scha_*_get. The out-argument after the tag's inputs is, by
 * result type (see scha_resource_get(3HA) for each tag):
 *   string: char **            int: int *              unsigned: uint_t *
 *   boolean: boolean_t *       enum: the enum type *   (see each enum above)
 *   string array: scha_str_array_t **   unsigned array: scha_uint_array_t **
 *   status: scha_status_value_t **      extension: scha_extprop_value_t **
 * Tags with inputs take them before the out-argument: EXTENSION (const
 * char *property), EXTENSION_NODE (const char *property, const char *node),
 * *_NODE and NODEID_NODENAME (const char *node), *_ZONE (const char *zone),
 * NODENAME_NODEID, ALL_ZONES_NODEID and ALL_NONGLOBAL_ZONES_NODEID (uint_t
 * node id, as in Solaris), HARD_LOADLIMIT, SOFT_LOADLIMIT and
 * LOADLIMIT_PROPS (const char *limit name).
 */
#define SCHA_AFFINITY_TIMEOUT                          "AFFINITY_TIMEOUT"
#define SCHA_ALL_EXTENSIONS                            "ALL_EXTENSIONS"
#define SCHA_ALL_LOADLIMITS                            "ALL_LOADLIMITS"
#define SCHA_ALL_NODEIDS                               "ALL_NODEIDS"
#define SCHA_ALL_NODENAMES                             "ALL_NODENAMES"
#define SCHA_ALL_NONGLOBAL_ZONES                       "ALL_NONGLOBAL_ZONES"
#define SCHA_ALL_NONGLOBAL_ZONES_NODEID                "ALL_NONGLOBAL_ZONES_NODEID"
#define SCHA_ALL_PRIVATELINK_HOSTNAMES                 "ALL_PRIVATELINK_HOSTNAMES"
#define SCHA_ALL_PSTRINGS                              "ALL_PSTRINGS"
#define SCHA_ALL_RESOURCEGROUPS                        "ALL_RESOURCEGROUPS"
#define SCHA_ALL_RESOURCETYPES                         "ALL_RESOURCETYPES"
#define SCHA_ALL_ZONES                                 "ALL_ZONES"
#define SCHA_ALL_ZONES_NODEID                          "ALL_ZONES_NODEID"
#define SCHA_API_VERSION                               "API_VERSION"
#define SCHA_AUTO_START_ON_NEW_CLUSTER                 "AUTO_START_ON_NEW_CLUSTER"
#define SCHA_BOOT                                      "BOOT"
#define SCHA_BOOT_TIMEOUT                              "BOOT_TIMEOUT"
#define SCHA_CHEAP_PROBE_INTERVAL                      "CHEAP_PROBE_INTERVAL"
#define SCHA_CLUSTERNAME                               "CLUSTERNAME"
#define SCHA_DESIRED_PRIMARIES                         "DESIRED_PRIMARIES"
#define SCHA_EXTENSION                                 "EXTENSION"
#define SCHA_EXTENSION_NODE                            "EXTENSION_NODE"
#define SCHA_FAILBACK                                  "FAILBACK"
#define SCHA_FAILOVER                                  "FAILOVER"
#define SCHA_FAILOVER_MODE                             "FAILOVER_MODE"
#define SCHA_FINI                                      "FINI"
#define SCHA_FINI_TIMEOUT                              "FINI_TIMEOUT"
#define SCHA_GLOBAL_RESOURCES_USED                     "GLOBAL_RESOURCES_USED"
#define SCHA_GLOBAL_ZONE                               "GLOBAL_ZONE"
#define SCHA_GLOBAL_ZONE_OVERRIDE                      "GLOBAL_ZONE_OVERRIDE"
#define SCHA_GROUP                                     "GROUP"
#define SCHA_HARD_LOADLIMIT                            "HARD_LOADLIMIT"
#define SCHA_IMPLICIT_NETWORK_DEPENDENCIES             "IMPLICIT_NETWORK_DEPENDENCIES"
#define SCHA_INIT                                      "INIT"
#define SCHA_INIT_NODES                                "INIT_NODES"
#define SCHA_INIT_TIMEOUT                              "INIT_TIMEOUT"
#define SCHA_INSTALLED_NODES                           "INSTALLED_NODES"
#define SCHA_IS_LOGICAL_HOSTNAME                       "IS_LOGICAL_HOSTNAME"
#define SCHA_IS_SHARED_ADDRESS                         "IS_SHARED_ADDRESS"
#define SCHA_LOADLIMIT_PROPS                           "LOADLIMIT_PROPS"
#define SCHA_LOAD_BALANCING_POLICY                     "LOAD_BALANCING_POLICY"
#define SCHA_LOAD_BALANCING_WEIGHTS                    "LOAD_BALANCING_WEIGHTS"
#define SCHA_LOAD_FACTORS                              "LOAD_FACTORS"
#define SCHA_MAXIMUM_PRIMARIES                         "MAXIMUM_PRIMARIES"
#define SCHA_MONITORED_SWITCH                          "MONITORED_SWITCH"
#define SCHA_MONITORED_SWITCH_NODE                     "MONITORED_SWITCH_NODE"
#define SCHA_MONITOR_CHECK                             "MONITOR_CHECK"
#define SCHA_MONITOR_CHECK_TIMEOUT                     "MONITOR_CHECK_TIMEOUT"
#define SCHA_MONITOR_START                             "MONITOR_START"
#define SCHA_MONITOR_START_TIMEOUT                     "MONITOR_START_TIMEOUT"
#define SCHA_MONITOR_STOP                              "MONITOR_STOP"
#define SCHA_MONITOR_STOP_TIMEOUT                      "MONITOR_STOP_TIMEOUT"
#define SCHA_NETWORK_RESOURCES_USED                    "NETWORK_RESOURCES_USED"
#define SCHA_NODEID_LOCAL                              "NODEID_LOCAL"
#define SCHA_NODEID_NODENAME                           "NODEID_NODENAME"
#define SCHA_NODELIST                                  "NODELIST"
#define SCHA_NODENAME_LOCAL                            "NODENAME_LOCAL"
#define SCHA_NODENAME_NODEID                           "NODENAME_NODEID"
#define SCHA_NODESTATE_LOCAL                           "NODESTATE_LOCAL"
#define SCHA_NODESTATE_NODE                            "NODESTATE_NODE"
#define SCHA_NUM_RESOURCE_RESTARTS                     "NUM_RESOURCE_RESTARTS"
#define SCHA_NUM_RESOURCE_RESTARTS_ZONE                "NUM_RESOURCE_RESTARTS_ZONE"
#define SCHA_NUM_RG_RESTARTS                           "NUM_RG_RESTARTS"
#define SCHA_NUM_RG_RESTARTS_ZONE                      "NUM_RG_RESTARTS_ZONE"
#define SCHA_ON_OFF_SWITCH                             "ON_OFF_SWITCH"
#define SCHA_ON_OFF_SWITCH_NODE                        "ON_OFF_SWITCH_NODE"
#define SCHA_PATHPREFIX                                "PATHPREFIX"
#define SCHA_PINGPONG_INTERVAL                         "PINGPONG_INTERVAL"
#define SCHA_PKGLIST                                   "PKGLIST"
#define SCHA_PORT_LIST                                 "PORT_LIST"
#define SCHA_POSTNET_STOP                              "POSTNET_STOP"
#define SCHA_POSTNET_STOP_TIMEOUT                      "POSTNET_STOP_TIMEOUT"
#define SCHA_PREEMPTION_MODE                           "PREEMPTION_MODE"
#define SCHA_PRENET_START                              "PRENET_START"
#define SCHA_PRENET_START_TIMEOUT                      "PRENET_START_TIMEOUT"
#define SCHA_PRIORITY                                  "PRIORITY"
#define SCHA_PRIVATELINK_HOSTNAME_LOCAL                "PRIVATELINK_HOSTNAME_LOCAL"
#define SCHA_PRIVATELINK_HOSTNAME_NODE                 "PRIVATELINK_HOSTNAME_NODE"
#define SCHA_PROXY                                     "PROXY"
#define SCHA_RESOURCE_DEPENDENCIES                     "RESOURCE_DEPENDENCIES"
#define SCHA_RESOURCE_DEPENDENCIES_OFFLINE_RESTART     "RESOURCE_DEPENDENCIES_OFFLINE_RESTART"
#define SCHA_RESOURCE_DEPENDENCIES_RESTART             "RESOURCE_DEPENDENCIES_RESTART"
#define SCHA_RESOURCE_DEPENDENCIES_WEAK                "RESOURCE_DEPENDENCIES_WEAK"
#define SCHA_RESOURCE_LIST                             "RESOURCE_LIST"
#define SCHA_RESOURCE_PROJECT_NAME                     "RESOURCE_PROJECT_NAME"
#define SCHA_RESOURCE_SECURITY                         "RESOURCE_SECURITY"
#define SCHA_RESOURCE_STATE                            "RESOURCE_STATE"
#define SCHA_RESOURCE_STATE_NODE                       "RESOURCE_STATE_NODE"
#define SCHA_RETRY_COUNT                               "RETRY_COUNT"
#define SCHA_RETRY_INTERVAL                            "RETRY_INTERVAL"
#define SCHA_RG_AFFINITIES                             "RG_AFFINITIES"
#define SCHA_RG_DEPENDENCIES                           "RG_DEPENDENCIES"
#define SCHA_RG_DESCRIPTION                            "RG_DESCRIPTION"
#define SCHA_RG_FAILOVER_TIMEOUT                       "RG_FAILOVER_TIMEOUT"
#define SCHA_RG_IS_FROZEN                              "RG_IS_FROZEN"
#define SCHA_RG_MODE                                   "RG_MODE"
#define SCHA_RG_PROJECT_NAME                           "RG_PROJECT_NAME"
#define SCHA_RG_SLM_CPU_SHARES                         "RG_SLM_CPU_SHARES"
#define SCHA_RG_SLM_PSET_MIN                           "RG_SLM_PSET_MIN"
#define SCHA_RG_SLM_PSET_TYPE                          "RG_SLM_PSET_TYPE"
#define SCHA_RG_SLM_TYPE                               "RG_SLM_TYPE"
#define SCHA_RG_STATE                                  "RG_STATE"
#define SCHA_RG_STATE_NODE                             "RG_STATE_NODE"
#define SCHA_RG_SYSTEM                                 "RG_SYSTEM"
#define SCHA_RT_BASEDIR                                "RT_BASEDIR"
#define SCHA_RT_DESCRIPTION                            "RT_DESCRIPTION"
#define SCHA_RT_SYSTEM                                 "RT_SYSTEM"
#define SCHA_RT_VERSION                                "RT_VERSION"
#define SCHA_R_DESCRIPTION                             "R_DESCRIPTION"
#define SCHA_SCALABLE                                  "SCALABLE"
#define SCHA_SINGLE_INSTANCE                           "SINGLE_INSTANCE"
#define SCHA_SOFT_LOADLIMIT                            "SOFT_LOADLIMIT"
#define SCHA_START                                     "START"
#define SCHA_START_TIMEOUT                             "START_TIMEOUT"
#define SCHA_STATUS                                    "STATUS"
#define SCHA_STATUS_NODE                               "STATUS_NODE"
#define SCHA_STOP                                      "STOP"
#define SCHA_STOP_TIMEOUT                              "STOP_TIMEOUT"
#define SCHA_SUSPEND_AUTOMATIC_RECOVERY                "SUSPEND_AUTOMATIC_RECOVERY"
#define SCHA_SYSLOG_FACILITY                           "SYSLOG_FACILITY"
#define SCHA_TARGET_NODES                              "TARGET_NODES"
#define SCHA_THOROUGH_PROBE_INTERVAL                   "THOROUGH_PROBE_INTERVAL"
#define SCHA_TYPE                                      "TYPE"
#define SCHA_TYPE_VERSION                              "TYPE_VERSION"
#define SCHA_UDP_AFFINITY                              "UDP_AFFINITY"
#define SCHA_UPDATE                                    "UPDATE"
#define SCHA_UPDATE_TIMEOUT                            "UPDATE_TIMEOUT"
#define SCHA_VALIDATE                                  "VALIDATE"
#define SCHA_VALIDATE_TIMEOUT                          "VALIDATE_TIMEOUT"
#define SCHA_WEAK_AFFINITY                             "WEAK_AFFINITY"
#define SCHA_ZONE_LOCAL                                "ZONE_LOCAL"

/*
 * RESOURCE_DEPENDENCIES* return the dependee names alone, as
 * scha_resource_get prints them without -Q. These tags return them with
 * their locality qualifier, as -Q prints them (e.g. "db{LOCAL_NODE}").
 */
#define SCHA_RESOURCE_DEPENDENCIES_Q                   "RESOURCE_DEPENDENCIES_Q"
#define SCHA_RESOURCE_DEPENDENCIES_Q_WEAK              "RESOURCE_DEPENDENCIES_Q_WEAK"
#define SCHA_RESOURCE_DEPENDENCIES_Q_RESTART           "RESOURCE_DEPENDENCIES_Q_RESTART"
#define SCHA_RESOURCE_DEPENDENCIES_Q_OFFLINE_RESTART   "RESOURCE_DEPENDENCIES_Q_OFFLINE_RESTART"

/* Tags of scha_control(). */
#define SCHA_GIVEOVER                                  "GIVEOVER"
#define SCHA_RESTART                                   "RESTART"
#define SCHA_RESOURCE_RESTART                          "RESOURCE_RESTART"
#define SCHA_RESOURCE_IS_RESTARTED                     "RESOURCE_IS_RESTARTED"
#define SCHA_CHECK_GIVEOVER                            "CHECK_GIVEOVER"
#define SCHA_CHECK_RESTART                             "CHECK_RESTART"
#define SCHA_IGNORE_FAILED_START                       "IGNORE_FAILED_START"
#define SCHA_CHANGE_STATE_ONLINE                       "CHANGE_STATE_ONLINE"
#define SCHA_CHANGE_STATE_OFFLINE                      "CHANGE_STATE_OFFLINE"
#define SCHA_RESOURCE_DISABLE                          "RESOURCE_DISABLE"

/*
 * Functions. All return a scha_err_t except scha_strerror*. The _zone
 * variants take a zone cluster name first (zone name for setstatus and
 * control): NULL, "global" and this cluster's name mean this cluster,
 * anything else is SCHA_ERR_ZONE_CLUSTER (OpenRGM has no zone clusters).
 */
extern scha_err_t scha_resource_open(const char *rname, const char *rgname,
    scha_resource_t *handle);
extern scha_err_t scha_resource_open_zone(const char *cluster,
    const char *rname, const char *rgname, scha_resource_t *handle);
extern scha_err_t scha_resource_get(scha_resource_t handle, const char *tag,
    ...);
extern scha_err_t scha_resource_get_zone(const char *cluster,
    scha_resource_t handle, const char *tag, ...);
extern scha_err_t scha_resource_close(scha_resource_t handle);

extern scha_err_t scha_resource_setstatus(const char *rname,
    const char *rgname, scha_rsstatus_t status, const char *status_msg);
extern scha_err_t scha_resource_setstatus_zone(const char *rname,
    const char *rgname, const char *zonename, scha_rsstatus_t status,
    const char *status_msg);

extern scha_err_t scha_resourcetype_open(const char *rtname,
    scha_resourcetype_t *handle);
extern scha_err_t scha_resourcetype_open_zone(const char *cluster,
    const char *rtname, scha_resourcetype_t *handle);
extern scha_err_t scha_resourcetype_get(scha_resourcetype_t handle,
    const char *tag, ...);
extern scha_err_t scha_resourcetype_get_zone(const char *cluster,
    scha_resourcetype_t handle, const char *tag, ...);
extern scha_err_t scha_resourcetype_close(scha_resourcetype_t handle);

extern scha_err_t scha_resourcegroup_open(const char *rgname,
    scha_resourcegroup_t *handle);
extern scha_err_t scha_resourcegroup_open_zone(const char *cluster,
    const char *rgname, scha_resourcegroup_t *handle);
extern scha_err_t scha_resourcegroup_get(scha_resourcegroup_t handle,
    const char *tag, ...);
extern scha_err_t scha_resourcegroup_get_zone(const char *cluster,
    scha_resourcegroup_t handle, const char *tag, ...);
extern scha_err_t scha_resourcegroup_close(scha_resourcegroup_t handle);

extern scha_err_t scha_cluster_open(scha_cluster_t *handle);
extern scha_err_t scha_cluster_open_zone(const char *cluster,
    scha_cluster_t *handle);
extern scha_err_t scha_cluster_get(scha_cluster_t handle, const char *tag,
    ...);
extern scha_err_t scha_cluster_get_zone(const char *cluster,
    scha_cluster_t handle, const char *tag, ...);
extern scha_err_t scha_cluster_close(scha_cluster_t handle);

extern scha_err_t scha_cluster_getlogfacility(int *logfacility);
extern scha_err_t scha_cluster_getnodename(char **nodename);
extern scha_err_t scha_cluster_getnodename_zone(const char *cluster,
    char **nodename);
extern scha_err_t scha_cluster_getzone(char **zonename);

extern scha_err_t scha_control(const char *tag, const char *rgname,
    const char *rname);
extern scha_err_t scha_control_zone(const char *tag, const char *rgname,
    const char *rname, const char *zonename);

extern char *scha_strerror(scha_err_t error_code);
extern char *scha_strerror_i18n(scha_err_t error_code);

#ifdef __cplusplus
}
#endif

#endif /* _SCHA_H */
