package client

import "encoding/json"

// marshalArgs encodes a request's arguments.
func marshalArgs(args any) (json.RawMessage, error) {
	if raw, ok := args.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(args)
}

// unmarshalData decodes a reply's data into out.
func unmarshalData(data json.RawMessage, out any) error {
	return json.Unmarshal(data, out)
}
