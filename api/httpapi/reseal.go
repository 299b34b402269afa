package httpapi

import "context"

// Reseal rewrites the session records whose secrets are plaintext or sealed
// with a previous master key (see sessions.Service.Reseal). The api binary
// and the standalone gateway run it once after Start.
func (s *Server) Reseal(ctx context.Context) (int, error) { return s.svc.Reseal(ctx) }
