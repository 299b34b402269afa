package wasim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"
)

const (
	// maxBodySize bounds control API request bodies.
	maxBodySize = 64 << 10
	// controlTimeout bounds control calls that wait for a client (scan, link).
	controlTimeout = 30 * time.Second
)

// TrustInfo is the body of GET /trust: what a client needs to dial the
// simulator. CACertPEM is only present when the websocket endpoint uses TLS.
type TrustInfo struct {
	// RootPublicKey is the standard base64 of the 32-byte Noise root key.
	RootPublicKey string `json:"root_public_key"`
	// WSAddr is the host:port of the websocket endpoint.
	WSAddr string `json:"ws_addr"`
	// CACertPEM is the TLS CA certificate, only with Config.TLS.
	CACertPEM string `json:"ca_cert_pem,omitempty"`
}

type scanRequest struct {
	QR       string `json:"qr"`
	Phone    string `json:"phone"`
	PushName string `json:"push_name"`
}

type linkRequest struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	PushName string `json:"push_name"`
}

type failRequest struct {
	Reason int `json:"reason"`
}

type messageRequest struct {
	To   string `json:"to"`
	From string `json:"from"`
	Text string `json:"text"`
}

type pairResponse struct {
	JID string `json:"jid"`
	LID string `json:"lid"`
}

type messageResponse struct {
	Delivered int `json:"delivered"`
}

type okResponse struct {
	OK bool `json:"ok"`
}

func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /trust", s.handleTrust)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	mux.HandleFunc("POST /phone/scan", s.handleScan)
	mux.HandleFunc("POST /phone/link", s.handleLink)
	mux.HandleFunc("POST /phone/push-name", s.handlePushName)
	for _, k := range []Kick{KickLogout, KickReplace, KickRestart, KickDrop} {
		mux.HandleFunc("POST /devices/{jid}/"+string(k), s.handleKick(k))
	}
	mux.HandleFunc("POST /devices/{jid}/fail", s.handleFail)
	mux.HandleFunc("POST /messages", s.handleMessage)
	mux.HandleFunc("POST /faults", s.handleFaults)
	s.phoneRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "no such endpoint: " + r.Method + " " + r.URL.Path}})
	})
	return mux
}

// decodeBody reads a JSON body into v; any syntax or type error is ErrInvalidInput.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodySize))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %w", ErrInvalidInput, err)
	}
	return nil
}

func (s *Server) handleTrust(w http.ResponseWriter, _ *http.Request) {
	root := s.RootPublicKey()
	writeJSON(w, http.StatusOK, TrustInfo{
		RootPublicKey: base64.StdEncoding.EncodeToString(root[:]),
		WSAddr:        s.WSAddr(),
		CACertPEM:     string(s.TLSCACertPEM()),
	})
}

func (s *Server) handleScan(w http.ResponseWriter, r *http.Request) {
	var req scanRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	res, err := s.ScanQR(ctx, req.QR, req.Phone, req.PushName)
	if err != nil {
		s.log.Debug("scan failed", zap.Error(err))
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pairResponse{JID: res.JID.String(), LID: res.LID.String()})
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	var req linkRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	res, err := s.LinkCodeAs(ctx, req.Phone, req.Code, req.PushName)
	if err != nil {
		s.log.Debug("link failed", zap.Error(err))
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pairResponse{JID: res.JID.String(), LID: res.LID.String()})
}

func (s *Server) handleKick(kind Kick) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.Kick(r.Context(), r.PathValue("jid"), kind); err != nil {
			s.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, okResponse{OK: true})
	}
}

func (s *Server) handleFail(w http.ResponseWriter, r *http.Request) {
	var req failRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.Fail(r.Context(), r.PathValue("jid"), req.Reason); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, okResponse{OK: true})
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	n, err := s.SendText(r.Context(), req.To, req.From, req.Text)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, messageResponse{Delivered: n})
}

func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := decodeBody(r, &f); err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.SetFaults(f); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}
