package wasim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// errorBody is the JSON error shape of the control API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorStatuses maps domain errors to HTTP statuses and error codes; this is
// the only place that does.
var errorStatuses = []struct {
	err    error
	status int
	code   string
}{
	{ErrInvalidInput, http.StatusBadRequest, "invalid_input"},
	{ErrWrongCode, http.StatusBadRequest, "wrong_code"},
	{ErrNoPendingQR, http.StatusNotFound, "no_pending_qr"},
	{ErrNoPendingCode, http.StatusNotFound, "no_pending_code"},
	{ErrUnknownDevice, http.StatusNotFound, "unknown_device"},
	{ErrUnknownPhone, http.StatusNotFound, "unknown_phone"},
	{ErrDeviceOffline, http.StatusNotFound, "device_offline"},
	{ErrUnknownPhone, http.StatusNotFound, "unknown_phone"},
	{ErrNoLiveDevice, http.StatusNotFound, "no_live_device"},
	{ErrPairRejected, http.StatusConflict, "pair_rejected"},
	{ErrTooManyDevices, http.StatusConflict, "too_many_devices"},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "timeout"},
	{context.Canceled, http.StatusServiceUnavailable, "canceled"},
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, "internal"
	for _, e := range errorStatuses {
		if errors.Is(err, e.err) {
			status, code = e.status, e.code
			break
		}
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: err.Error()}})
}
