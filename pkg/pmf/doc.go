// Package pmf is the process monitor facility: the table of monitored
// process trees kept by rgmd (Manager), the restart policy (History), the
// supervisor process that tracks one tree (ShimMain), and pmfadm's command
// line (Main).
//
// A tree is tracked by a supervisor that is a child subreaper
// (PR_SET_CHILD_SUBREAPER) and starts the command in a new process group:
// every descendant, including daemons that double-fork and setsid, ends up
// re-parented to the supervisor, which reaps them and so knows when the
// last one is gone. Cgroups are not used.
//
// Trees outlive rgmd: a supervisor is reached through an abstract unix
// socket, and keeps its tree when rgmd exits or dies; the next rgmd reads
// the records the Manager keeps in the state directory and re-attaches
// (Manager.Reattach).
package pmf
