package standalone

// NATSConnNames lists the connections open on the embedded NATS server.
func (g *Gateway) NATSConnNames() ([]string, error) { return g.ns.ConnNames() }
