package wasim

import (
	"fmt"
	"net/http"
)

type phoneRequest struct {
	Phone    string `json:"phone"`
	PushName string `json:"push_name"`
}

type readRequest struct {
	IDs []string `json:"ids"`
}

type messagesResponse struct {
	Messages []ReceivedMessage `json:"messages"`
}

// phoneRoutes adds the phone routes: accounts that companions message, and
// what those phones received.
func (s *Server) phoneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /phones", s.handleRegisterPhone)
	mux.HandleFunc("GET /phones/{phone}/messages", s.handlePhoneMessages)
	mux.HandleFunc("POST /phones/{phone}/read", s.handlePhoneRead)
}

func (s *Server) handleRegisterPhone(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if req.Phone == "" {
		s.writeError(w, fmt.Errorf("%w: phone is required", ErrInvalidInput))
		return
	}
	info, err := s.RegisterPhone(req.Phone, req.PushName)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// pathPhone is the {phone} path value: the number's digits only.
func pathPhone(r *http.Request) (string, error) {
	p := r.PathValue("phone")
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", fmt.Errorf("%w: phone %q in the path must be digits only", ErrInvalidInput, p)
		}
	}
	return normalizePhone(p)
}

func (s *Server) handlePhoneMessages(w http.ResponseWriter, r *http.Request) {
	phone, err := pathPhone(r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	msgs, err := s.PhoneMessages(phone, r.URL.Query().Get("since"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, messagesResponse{Messages: msgs})
}

func (s *Server) handlePhoneRead(w http.ResponseWriter, r *http.Request) {
	phone, err := pathPhone(r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	var req readRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	for _, id := range req.IDs {
		if id == "" {
			s.writeError(w, fmt.Errorf("%w: ids: empty message id", ErrInvalidInput))
			return
		}
	}
	if err := s.MarkRead(r.Context(), phone, req.IDs); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, okResponse{OK: true})
}
