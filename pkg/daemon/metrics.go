package daemon

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/wire"
)

// rgmd's Prometheus metrics, served at the API's /v1/metrics (viewer
// role) and, with --metrics-addr, on a plain loopback port. Names follow
// Prometheus' naming guide: the openrgm_ namespace, base units (seconds),
// _total on counters. States are read from the configuration at each
// scrape; counts are kept from the moment rgmd started.
type metrics struct {
	reg *prometheus.Registry

	methodRuns     *prometheus.CounterVec   // method, exit_code
	methodDuration *prometheus.HistogramVec // method
	control        *prometheus.CounterVec   // tag (RESTART, GIVEOVER, ...), result
	commit         prometheus.Histogram
	leaderChanges  prometheus.Counter
	nodeChanges    *prometheus.CounterVec // node, state
	stateChanges   *prometheus.CounterVec // object, state
	failovers      prometheus.Counter
	leaseRenewals  prometheus.Counter
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		methodRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openrgm_method_runs_total", Help: "Callback methods run on this node, by method and exit code (-1: killed, timed out or not started).",
		}, []string{"method", "exit_code"}),
		methodDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "openrgm_method_duration_seconds", Help: "How long callback methods ran on this node, by method.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300},
		}, []string{"method"}),
		control: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openrgm_scha_control_total", Help: "scha_control requests received by this node (RESTART and RESOURCE_RESTART are restarts, GIVEOVER giveovers), by tag and result (the scha_err_t symbol).",
		}, []string{"tag", "result"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "openrgm_raft_commit_duration_seconds", Help: "How long a change proposed on this node took to be committed to the replicated log and applied.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "openrgm_raft_leader_changes_total", Help: "Times this node gained or lost the cluster's leadership.",
		}),
		nodeChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openrgm_node_transitions_total", Help: "Nodes seen going UP or DOWN by this node.",
		}, []string{"node", "state"}),
		stateChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openrgm_state_transitions_total", Help: "State changes of groups and resources on any node, by object kind and new state.",
		}, []string{"object", "state"}),
		failovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "openrgm_group_failovers_total", Help: "Resource groups that came ONLINE on a node other than the one they were last ONLINE on.",
		}),
		leaseRenewals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "openrgm_lease_renewals_total", Help: "Times this node renewed its lease (none while it holds no group and starts nothing).",
		}),
	}
	m.reg.MustRegister(m.methodRuns, m.methodDuration, m.control, m.commit, m.leaderChanges, m.nodeChanges, m.stateChanges, m.failovers, m.leaseRenewals,
		&stateCollector{d: d},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// methodRun counts one method run.
func (m *metrics) methodRun(method string, res methods.Result) {
	if m == nil {
		return
	}
	m.methodRuns.WithLabelValues(method, strconv.Itoa(res.ExitCode)).Inc()
	m.methodDuration.WithLabelValues(method).Observe(res.Duration.Seconds())
}

// leaseRenewed counts one renewal of the node's lease.
func (m *metrics) leaseRenewed() {
	if m != nil {
		m.leaseRenewals.Inc()
	}
}

// leaderChanged counts one gain or loss of the leadership.
func (m *metrics) leaderChanged() {
	if m != nil {
		m.leaderChanges.Inc()
	}
}

// committed observes one proposal's commit latency.
func (m *metrics) committed(took time.Duration) {
	if m != nil {
		m.commit.Observe(took.Seconds())
	}
}

// watch counts from the event stream (node and state changes, failovers)
// until ctx ends; leadership changes are counted by the failover loop,
// which reads raft's news of them (leaderChanged).
func (m *metrics) watch(ctx context.Context, d *Daemon) {
	lastOnline := map[string]string{} // group → node it was last ONLINE on
	d.events.Follow(ctx, wire.EventsArgs{Kinds: []string{wire.EventNode, wire.EventState}}, false, func(e wire.Event) error {
		switch e.Kind {
		case wire.EventNode:
			m.nodeChanges.WithLabelValues(e.Name, e.State).Inc()
		case wire.EventState:
			m.stateChanges.WithLabelValues(e.Object, e.State).Inc()
			if e.Object == wire.KindResourceGroup && e.State == model.RGStateOnline {
				if prev, ok := lastOnline[e.Name]; ok && prev != e.Node {
					m.failovers.Inc()
				}
				lastOnline[e.Name] = e.Node
			}
		}
		return nil
	})
}

// stateCollector reads states, nodes and connections at scrape time.
type stateCollector struct{ d *Daemon }

var (
	descGroup  = prometheus.NewDesc("openrgm_group_state", "1 for each resource group's state on each node.", []string{"group", "node", "state"}, nil)
	descRes    = prometheus.NewDesc("openrgm_resource_state", "1 for each resource's state on each node.", []string{"resource", "group", "node", "state"}, nil)
	descNodeUp = prometheus.NewDesc("openrgm_node_up", "1 when this node sees the node UP, else 0.", []string{"node"}, nil)
	descLeader = prometheus.NewDesc("openrgm_raft_leader", "1 when this node leads the cluster (always, for a single node).", nil, nil)
	descConns  = prometheus.NewDesc("openrgm_api_connections_open", "Connections to the remote API open now.", nil, nil)
	descEvents = prometheus.NewDesc("openrgm_events_total", "Events numbered by this rgmd since it started.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descGroup, descRes, descNodeUp, descLeader, descConns, descEvents} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	var nodes []string
	d.machine.Read(func(cfg *model.Config) {
		for _, n := range cfg.Nodes {
			nodes = append(nodes, n.Name)
		}
		for name, g := range cfg.Groups {
			for node, st := range g.Nodes {
				ch <- prometheus.MustNewConstMetric(descGroup, prometheus.GaugeValue, 1, name, node, st.State)
			}
		}
		for name, r := range cfg.Resources {
			for node, st := range r.Nodes {
				ch <- prometheus.MustNewConstMetric(descRes, prometheus.GaugeValue, 1, name, r.Group, node, st.State)
			}
		}
	})
	for _, n := range nodes {
		up := 0.0
		if d.nodeUp(n) {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descNodeUp, prometheus.GaugeValue, up, n)
	}
	lead := 1.0
	if d.clustered() && !d.store.IsLeader() {
		lead = 0
	}
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, lead)
	var open float64
	if s := d.apiServer.Load(); s != nil {
		open = float64(s.OpenConns())
	}
	ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, open)
	ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(d.events.Last()))
}

// metricsHandler serves the metrics in Prometheus' text format.
func (d *Daemon) metricsHandler() http.Handler {
	if d.metrics == nil {
		return nil
	}
	return promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{})
}
