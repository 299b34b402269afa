package natsembed

import (
	"fmt"
	"net"
	"strconv"
)

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("natsembed: listen address: %w", err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("natsembed: listen port: %w", err)
	}
	if port == 0 {
		port = -1 // nats-server: -1 picks a random port
	}
	return host, port, nil
}
