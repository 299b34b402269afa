package cluster

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// natsNode is one bin/nats-server of the test cluster. Its ports and store
// stay the same across restarts.
type natsNode struct {
	name                   string
	port, clusterPort, mon int
	storeDir, logDir       string
	routes                 []string
	proc                   *proc
	restarts               int
}

// startNATS starts a 3-node JetStream cluster on free loopback ports and
// waits until every node reports healthy.
func startNATS(tb testing.TB, dir string) []*natsNode {
	tb.Helper()
	nodes := make([]*natsNode, 3)
	var routes []string
	for i := range nodes {
		n := &natsNode{
			name: fmt.Sprintf("n%d", i+1), port: freePort(tb), clusterPort: freePort(tb), mon: freePort(tb),
			storeDir: filepath.Join(dir, fmt.Sprintf("nats-%d", i+1)), logDir: dir,
		}
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", n.clusterPort))
		nodes[i] = n
	}
	for _, n := range nodes {
		n.routes = routes
		n.start(tb)
	}
	for _, n := range nodes {
		n.waitHealthy(tb, 60*time.Second)
	}
	return nodes
}

func (n *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// start runs the node (again, after a kill: same ports, same store).
func (n *natsNode) start(tb testing.TB) {
	tb.Helper()
	name := "nats-" + n.name
	if n.restarts > 0 {
		name = fmt.Sprintf("%s-restart-%d", name, n.restarts)
	}
	n.restarts++
	n.proc = startProc(tb, n.logDir, name, nil, filepath.Join(bin, "nats-server"),
		"-n", n.name, "-a", "127.0.0.1", "-p", fmt.Sprint(n.port), "-m", fmt.Sprint(n.mon),
		"-js", "-sd", n.storeDir,
		"--cluster_name", "switchboard", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", n.clusterPort),
		"--routes", strings.Join(n.routes, ","))
}

// healthy reports the node's /healthz: JetStream enabled and its assets
// current with the cluster.
func (n *natsNode) healthy() (bool, string) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.mon))
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK, resp.Status
}

func (n *natsNode) waitHealthy(tb testing.TB, within time.Duration) {
	tb.Helper()
	eventually(tb, within, "nats "+n.name+" healthy", n.healthy)
}

// natsURLs is the client URL list of every node.
func natsURLs(nodes []*natsNode) string {
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.url()
	}
	return strings.Join(urls, ",")
}
