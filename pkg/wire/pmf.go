package wire

// Process monitor facility (pmfadm). Every local user may call these: each
// acts as itself. rgmd starts a tag's processes with the caller's uid and
// gid, and only that user or root may stop or change the tag. Unknown tags
// are SCHA_ERR_TAG (pmfadm: "no such nametag"), a tag that exists already
// is SCHA_ERR_STATE, a command that cannot be executed SCHA_ERR_METHOD, and
// a -w wait that ran out SCHA_ERR_TIMEOUT.
const (
	OpPMFStart  = "pmf.start"  // PMFStartArgs → PMFInfo
	OpPMFStop   = "pmf.stop"   // PMFStopArgs: pmfadm -s and -k
	OpPMFModify = "pmf.modify" // PMFModifyArgs → PMFInfo: pmfadm -m
	OpPMFShow   = "pmf.show"   // PMFTagArgs → PMFInfo: pmfadm -l and -q
	OpPMFList   = "pmf.list"   // no args → PMFListReply: pmfadm -L
)

// PMFStartArgs is pmfadm -c. PeriodMS < 0 is an unbounded window; Retries
// < 0 is unlimited; Level < 0 monitors every fork depth.
type PMFStartArgs struct {
	Tag      string   `json:"tag"`
	Argv     []string `json:"argv"`             // argv[0] is looked up in the PATH of Env
	Env      []string `json:"env"`              // the command's whole environment, as VAR=value
	Dir      string   `json:"dir"`              // working directory (the caller's)
	Action   string   `json:"action,omitempty"` // run by /bin/sh with "failed TAG" appended
	Retries  int      `json:"retries"`
	PeriodMS int64    `json:"period_ms"`
	Level    int      `json:"level"`
}

// PMFStopArgs is pmfadm -s (Kill false) and -k (Kill true). Signal 0 sends
// none; WaitMS > 0 waits that long for the tree to be gone.
type PMFStopArgs struct {
	Tag    string `json:"tag"`
	Kill   bool   `json:"kill,omitempty"`
	Signal int    `json:"signal,omitempty"`
	WaitMS int64  `json:"wait_ms,omitempty"`
}

// PMFModifyArgs is pmfadm -m; a nil field is left as it is.
type PMFModifyArgs struct {
	Tag      string `json:"tag"`
	Retries  *int   `json:"retries,omitempty"`
	PeriodMS *int64 `json:"period_ms,omitempty"`
}

// PMFTagArgs names one tag.
type PMFTagArgs struct {
	Tag string `json:"tag"`
}

// PMF tag states.
const (
	PMFRunning    = "running"    // the tree is up and will be restarted
	PMFStopping   = "stopping"   // -s or -k: not restarted; dropped once the tree is gone
	PMFRestarting = "restarting" // the tree ended and is about to start again
	PMFAction     = "action"     // the limit was reached and the action program runs
)

// PMFInfo describes one tag.
type PMFInfo struct {
	Tag      string   `json:"tag"`
	UID      int      `json:"uid"`
	GID      int      `json:"gid"`
	State    string   `json:"state"`
	Argv     []string `json:"argv"`
	Dir      string   `json:"dir"`
	Action   string   `json:"action,omitempty"`
	Retries  int      `json:"retries"`
	PeriodMS int64    `json:"period_ms"`
	Level    int      `json:"level"`
	Failures int      `json:"failures"`        // restarts used inside the current window
	Label    string   `json:"label,omitempty"` // the resource whose callback created the tag
	Pids     []int    `json:"pids"`            // the tree's processes, the command first
}

// PMFListReply is pmfadm -L: the tags, sorted.
type PMFListReply struct {
	Tags []string `json:"tags"`
}
