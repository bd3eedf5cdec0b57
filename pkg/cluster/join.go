package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/trust"
)

// JoinRequest is what a node without a certificate sends to any node of
// the cluster it joins, over TLS in which it checked the server's CA
// against its token's fingerprint.
type JoinRequest struct {
	Secret []byte `json:"secret"` // the token's secret: proves the operator issued it
	Node   string `json:"node"`
	Addr   string `json:"addr"` // the joining node's cluster address
	CSR    []byte `json:"csr"`  // PEM certificate request for the node's own key
	// Witness asks to join as a voter that hosts no resources.
	Witness bool `json:"witness,omitempty"`
}

// JoinReply is what a joining node receives: its certificate, the CA
// (certificate and key: every voter may become the leader, which signs
// the next joins), the gossip key, and the cluster addresses of the nodes
// to find by gossip.
type JoinReply struct {
	Cert      []byte   `json:"cert"`
	CACert    []byte   `json:"ca_cert"`
	CAKey     []byte   `json:"ca_key"`
	GossipKey []byte   `json:"gossip_key"`
	NodeID    int      `json:"node_id"`
	Cluster   string   `json:"cluster"`
	Peers     []string `json:"peers"`
}

// Join asks the node at addr to let this one in with tok. The server is
// trusted only if its certificate chains to the CA whose fingerprint the
// token carries. The error of a refusal carries the server's scha code.
func Join(ctx context.Context, addr string, tok trust.Token, req JoinRequest) (*JoinReply, error) {
	req.Secret = tok.Secret()
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	c, err := dial(addr, connRPC, trust.JoinClientConfig(tok.Fingerprint()), timeout)
	if err != nil {
		return nil, scha.Errorf(scha.ErrCluster, "joining through %s: %v (is it a node of the cluster that issued the token?)", addr, err)
	}
	defer c.Close()
	var out JoinReply
	body, err := jsonBody(req)
	if err != nil {
		return nil, err
	}
	rep, err := roundTrip(ctx, c, request{Op: OpJoin, Body: body})
	if err != nil {
		return nil, scha.Errorf(scha.ErrCluster, "joining through %s: %v", addr, err)
	}
	if rep.Code != scha.ErrNoErr {
		return nil, &scha.Error{Code: rep.Code, Detail: "join refused by " + addr + ": " + rep.Message}
	}
	if err := jsonDecode(rep.Body, &out); err != nil {
		return nil, scha.Errorf(scha.ErrCluster, "joining through %s: bad reply: %v", addr, err)
	}
	if len(out.Cert) == 0 || len(out.CACert) == 0 || len(out.GossipKey) == 0 {
		return nil, scha.Errorf(scha.ErrCluster, "joining through %s: incomplete reply", addr)
	}
	return &out, nil
}

// IsRemote reports whether err is a peer's refusal, as opposed to a
// failure to reach it.
func IsRemote(err error) bool {
	var re *RemoteError
	return errors.As(err, &re)
}

func jsonBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode: %w", err)
	}
	return b, nil
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
