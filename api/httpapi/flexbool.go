package httpapi

import (
	"bytes"
	"errors"
)

// flexBool decodes true/false and also 1/0, which the WASend Go SDK sends
// for its boolean fields (Float64Ptr(1)).
type flexBool bool

var errFlexBool = errors.New("must be a boolean")

// UnmarshalJSON accepts true, false, 1, 0 (and 1.0, 0.0).
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "true", "1", "1.0":
		*b = true
	case "false", "0", "0.0", "null":
		*b = false
	default:
		return errFlexBool
	}
	return nil
}

// value returns b, or def when b is nil.
func (b *flexBool) value(def bool) bool {
	if b == nil {
		return def
	}
	return bool(*b)
}
