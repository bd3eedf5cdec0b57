package daemon

import "net/http"

// metricsHandler serves the Prometheus metrics (nil until metrics exist).
func (d *Daemon) metricsHandler() http.Handler { return nil }
