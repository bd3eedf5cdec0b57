package store

import "github.com/openrgm/openrgm/pkg/model"

// Commands of the remote API's credentials (numbers 40–47 are the API's).
const (
	CmdCredIssue  byte = 40 // CredIssueCmd: a user certificate issued
	CmdCredRevoke byte = 41 // CredRevokeCmd: a user's certificates revoked
)

// CredIssueCmd records a user certificate issued by rgmadm cred issue;
// Now (Unix seconds, the proposer's clock) prunes expired records.
type CredIssueCmd struct {
	Cred model.Credential `json:"cred"`
	Now  int64            `json:"now"`
}

// CredRevokeCmd revokes user Name's certificates: all of them, or the
// one with Serial. Now is when, by the proposer's clock.
type CredRevokeCmd struct {
	Name   string `json:"name"`
	Serial string `json:"serial,omitempty"`
	Now    int64  `json:"now"`
}

func init() {
	moreCommands[CmdCredIssue] = func(c *model.Config, body []byte) error {
		cmd, err := decode[CredIssueCmd](body)
		if err != nil {
			return err
		}
		return c.AddCredential(cmd.Cred, cmd.Now)
	}
	moreCommands[CmdCredRevoke] = func(c *model.Config, body []byte) error {
		cmd, err := decode[CredRevokeCmd](body)
		if err != nil {
			return err
		}
		_, err = c.RevokeCredentials(cmd.Name, cmd.Serial, cmd.Now)
		return err
	}
}
