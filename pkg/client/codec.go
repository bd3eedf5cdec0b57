package client

import (
	"encoding/json"
	"errors"

	"github.com/openrgm/openrgm/pkg/wire"
)

// marshalArgs encodes a request's arguments. Pre-encoded arguments are
// checked here so that the only write errors left are I/O ones.
func marshalArgs(args any) (json.RawMessage, error) {
	if raw, ok := args.(json.RawMessage); ok {
		if !wire.Valid(raw) {
			return nil, errors.New("invalid JSON")
		}
		return raw, nil
	}
	return wire.Encode(args)
}

// unmarshalData decodes a reply's data into out.
func unmarshalData(data json.RawMessage, out any) error {
	return wire.DecodeData(data, out)
}
