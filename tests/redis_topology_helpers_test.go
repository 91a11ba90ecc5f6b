package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Real Redis topologies started by the tests themselves, on free loopback
// ports, torn down when the test ends: plain (one redis-server), Sentinel
// (a master, a replica, three sentinels) and Cluster (three masters, three
// replicas). Their timeouts are short so failovers fit a test run.
const (
	clusterNodeTimeout = 1500 // ms: a master is failed over this long after it stops answering
	sentinelDownAfter  = 1500 // ms
	sentinelMaster     = "mymaster"
)

// redisTopology is a running topology and what the tests need to know of it.
type redisTopology struct {
	name string
	// urls are the redis URLs of the Civigate instances: the same
	// topology, spelled with its seeds in another order for each.
	urls      []string
	nodes     []*privateRedis // data nodes (masters and replicas)
	sentinels []*privateRedis

	t       testing.TB
	mu      sync.Mutex
	clients map[int]*redis.Client
}

// client is a direct client of the node on port, kept for the test.
func (tp *redisTopology) client(port int) *redis.Client {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.clients == nil {
		tp.clients = map[int]*redis.Client{}
	}
	c, ok := tp.clients[port]
	if !ok {
		c = nodeClient(tp.t, port)
		tp.clients[port] = c
	}
	return c
}

func (tp *redisTopology) url(i int) string { return tp.urls[i%len(tp.urls)] }

func nodeClient(t testing.TB, port int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + itoa(port), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond every 50ms until it holds or d has passed.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

func startPlainTopology(t *testing.T) *redisTopology {
	r := startPrivateRedis(t)
	return &redisTopology{name: "plain", urls: []string{r.URL()}, nodes: []*privateRedis{r}, t: t}
}

// startSentinelTopology: a master, its replica and three sentinels that
// agree (quorum 2) on failing it over.
func startSentinelTopology(t *testing.T) *redisTopology {
	t.Helper()
	master := startRedisWith(t, "")
	replica := startRedisWith(t, "", "--replicaof", "127.0.0.1", itoa(master.Port))
	tp := &redisTopology{name: "sentinel", nodes: []*privateRedis{master, replica}, t: t}
	dir := t.TempDir()
	var addrs []string
	for i := 0; i < 3; i++ {
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %s %d\n"+
			"sentinel failover-timeout %s 5000\nsentinel parallel-syncs %s 1\n",
			sentinelMaster, master.Port, sentinelMaster, sentinelDownAfter, sentinelMaster, sentinelMaster)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		s := startRedisWith(t, conf, "--sentinel")
		tp.sentinels = append(tp.sentinels, s)
		addrs = append(addrs, "127.0.0.1:"+itoa(s.Port))
	}
	for i := range addrs {
		rot := append(append([]string{}, addrs[i:]...), addrs[:i]...)
		tp.urls = append(tp.urls, "redis+sentinel://"+strings.Join(rot, ",")+"/0?master_name="+sentinelMaster)
	}
	// Ready when the replica is in sync and every sentinel knows the
	// replica and the two other sentinels (they find each other through
	// hello messages every 2s).
	mc := tp.client(master.Port)
	eventually(t, 15*time.Second, "replica in sync", func() bool {
		info, _ := mc.Info(context.Background(), "replication").Result()
		return infoField(info, "connected_slaves") == "1" && strings.Contains(info, "state=online")
	})
	for _, s := range tp.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + itoa(s.Port)})
		t.Cleanup(func() { sc.Close() })
		eventually(t, 20*time.Second, "sentinels agree", func() bool {
			m, err := sc.Master(context.Background(), sentinelMaster).Result()
			return err == nil && m["num-other-sentinels"] == "2" && m["num-slaves"] == "1"
		})
	}
	return tp
}

// sentinelMasterPort is the master's port as the first live sentinel says.
func (tp *redisTopology) sentinelMasterPort() int {
	for _, s := range tp.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + itoa(s.Port), DialTimeout: 200 * time.Millisecond})
		addr, err := sc.GetMasterAddrByName(context.Background(), sentinelMaster).Result()
		sc.Close()
		if err == nil && len(addr) == 2 {
			p, _ := strconv.Atoi(addr[1])
			return p
		}
	}
	return 0
}

// startClusterTopology: three masters and three replicas joined by
// redis-cli --cluster create.
func startClusterTopology(t *testing.T) *redisTopology {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli is not installed (.ci/run installs it)")
	}
	tp := &redisTopology{name: "cluster", t: t}
	var addrs []string
	for i := 0; i < 6; i++ {
		n := startRedisWith(t, "", "--cluster-enabled", "yes", "--cluster-node-timeout", itoa(clusterNodeTimeout),
			"--cluster-config-file", "nodes.conf")
		tp.nodes = append(tp.nodes, n)
		addrs = append(addrs, "127.0.0.1:"+itoa(n.Port))
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...),
		"--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for i := 0; i < 3; i++ {
		rot := append(append([]string{}, addrs[i:]...), addrs[:i]...)
		tp.urls = append(tp.urls, "redis+cluster://"+strings.Join(rot[:3], ","))
	}
	// Ready when every node sees the whole cluster healthy and every
	// replica is in sync with its master.
	for _, n := range tp.nodes {
		c := tp.client(n.Port)
		eventually(t, 20*time.Second, "cluster ok on "+itoa(n.Port), func() bool {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err != nil || infoField(info, "cluster_state") != "ok" || infoField(info, "cluster_known_nodes") != "6" {
				return false
			}
			repl, _ := c.Info(context.Background(), "replication").Result()
			switch infoField(repl, "role") {
			case "slave":
				return infoField(repl, "master_link_status") == "up"
			case "master":
				return strings.Contains(repl, "state=online")
			}
			return false
		})
	}
	return tp
}

// clusterMasterOf is the port of the master serving key's slot, as a node
// other than skip sees it (0 when none knows).
func (tp *redisTopology) clusterMasterOf(key string, skip int) int {
	for _, n := range tp.nodes {
		if n.Port == skip || n.cmd == nil {
			continue
		}
		c := tp.client(n.Port)
		slot, err := c.ClusterKeySlot(context.Background(), key).Result()
		if err != nil {
			continue
		}
		slots, err := c.ClusterSlots(context.Background()).Result()
		if err != nil {
			continue
		}
		for _, s := range slots {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
				_, p, _ := net.SplitHostPort(s.Nodes[0].Addr)
				port, _ := strconv.Atoi(p)
				return port
			}
		}
	}
	return 0
}

func (tp *redisTopology) node(port int) *privateRedis {
	for _, n := range tp.nodes {
		if n.Port == port {
			return n
		}
	}
	return nil
}

// masters are the data nodes that are masters now.
func (tp *redisTopology) masters() []*privateRedis {
	var out []*privateRedis
	for _, n := range tp.nodes {
		if n.cmd == nil {
			continue
		}
		info, err := tp.client(n.Port).Info(context.Background(), "replication").Result()
		if err == nil && infoField(info, "role") == "master" {
			out = append(out, n)
		}
	}
	return out
}

// findKey is the port of the master holding a key that matches pattern.
func (tp *redisTopology) findKey(pattern string) (port int, key string) {
	for _, n := range tp.masters() {
		keys, _ := tp.client(n.Port).Keys(context.Background(), pattern).Result()
		if len(keys) > 0 {
			return n.Port, keys[0]
		}
	}
	return 0, ""
}

// errorStats sums INFO errorstats of the live data nodes: errorstat_X → count.
func (tp *redisTopology) errorStats() map[string]int {
	out := map[string]int{}
	for _, n := range tp.nodes {
		if n.cmd == nil {
			continue
		}
		info, err := tp.client(n.Port).Info(context.Background(), "errorstats").Result()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":count=")
			if !ok {
				continue
			}
			n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
			out[strings.TrimPrefix(name, "errorstat_")] += n
		}
	}
	return out
}

// buildCivigate builds cmd/civigate into a directory removed when t ends:
// the topology tests run real, separate Civigate processes, each with its
// own Redis client, slot map and subscriptions, as a deployment would.
func buildCivigate(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "civigate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/civigate")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/civigate: %v\n%s", err, out)
	}
	return bin
}

// civigateProc is one Civigate instance in a process of its own.
type civigateProc struct {
	URL, Admin string
	cmd        *exec.Cmd
	done       chan struct{}
	log        lockedBuffer
}

// logText is everything the instance logged so far.
func (p *civigateProc) logText() string { return p.log.String() }

// startCivigateProc runs the civigate binary bin on caddyfile ({PORT} and
// {ADMIN} replaced by free ports) until the test ends; its log (JSON, WARN
// and above unless the Caddyfile says otherwise) is kept for the test.
func startCivigateProc(t *testing.T, bin, caddyfile string) *civigateProc {
	t.Helper()
	port, admin := freePort(t), freePort(t)
	cf := strings.NewReplacer("{PORT}", itoa(port), "{ADMIN}", itoa(admin)).Replace(caddyfile)
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(cf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &civigateProc{URL: "http://127.0.0.1:" + itoa(port), Admin: "http://127.0.0.1:" + itoa(admin), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("log of the instance on %s:\n%s", p.URL, tail([]byte(p.logText()), 6000))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.URL)
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("civigate exited: %s", p.logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("civigate on %s did not come up: %s", p.URL, p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricsText is the instance's Prometheus exposition.
func (p *civigateProc) metricsText(t *testing.T) string {
	t.Helper()
	return getJSONText(t, p.Admin+"/metrics")
}

// sumMetric adds every series of name whose labels contain all of labels.
func sumMetric(exposition, name string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			sum += v
		}
	}
	return sum
}

// fromAddress is an HTTP client whose connections come from ip (any of
// 127.0.0.0/8), so a test can be several client addresses.
func fromAddress(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}
