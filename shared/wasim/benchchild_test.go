package wasim_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// benchChildEnv makes the test binary run the simulator as a child process
// for BenchmarkLogins, so simulator memory and CPU are measured apart from
// the whatsmeow clients. The child speaks a line protocol on stdin/stdout:
//
//	-> ready WSADDR CONTROLADDR
//	<- register PHONE NOISE IDENTITY REGID SKEYID SKEYPUB SKEYSIG UPLOADED [share]   (keys hex)
//	-> ok JID LID ACCOUNT(base64 proto) ACCOUNTIDENTITY(hex)
//	<- mem
//	-> mem LIVEHEAP STACK GOROUTINES CPUNANOS LOGGEDIN CONNECTIONS
//
// EOF on stdin stops it.
const benchChildEnv = "WASIM_BENCH_CHILD"

func runBenchChild() int {
	raiseNoFile()
	sim, err := wasim.New(wasim.Config{
		WSAddr:         "127.0.0.1:0",
		ControlAddr:    "127.0.0.1:0",
		RootPrivateKey: testRootKey,
		Logger:         zap.NewNop(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := sim.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = sim.Stop(context.Background()) }()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "ready %s %s\n", sim.WSAddr(), sim.ControlAddr())
	_ = out.Flush()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "register":
			fmt.Fprintln(out, childRegister(sim, f[1:]))
		case "mem":
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			st := sim.Stats()
			fmt.Fprintf(out, "mem %d %d %d %d %d %d\n", ms.HeapAlloc, ms.StackInuse,
				runtime.NumGoroutine(), cpuNanos(), st.LoggedIn, st.Connections)
		default:
			fmt.Fprintln(out, "error unknown command")
		}
		_ = out.Flush()
	}
	return 0
}

func childRegister(sim *wasim.Server, f []string) string {
	if len(f) != 8 && !(len(f) == 9 && f[8] == "share") {
		return "error want 8 fields and an optional share"
	}
	var k wasim.DeviceKeys
	k.ShareAppStateKey = len(f) == 9
	var err error
	hexInto := func(dst []byte, s string) {
		b, e := hex.DecodeString(s)
		if e != nil || len(b) != len(dst) {
			err = fmt.Errorf("bad hex %q", s)
		}
		copy(dst, b)
	}
	hexInto(k.NoisePub[:], f[1])
	hexInto(k.IdentityPub[:], f[2])
	hexInto(k.SignedPreKeyPub[:], f[5])
	hexInto(k.SignedPreKeySig[:], f[6])
	regID, err1 := strconv.ParseUint(f[3], 10, 32)
	skeyID, err2 := strconv.ParseUint(f[4], 10, 32)
	uploaded, err3 := strconv.Atoi(f[7])
	if err != nil || err1 != nil || err2 != nil || err3 != nil {
		return "error bad fields"
	}
	k.RegistrationID, k.SignedPreKeyID, k.UploadedPrekeys = uint32(regID), uint32(skeyID), uploaded
	pp, err := sim.RegisterPairedDevice(f[0], "Bench "+f[0], k)
	if err != nil {
		return "error " + err.Error()
	}
	acct, err := proto.Marshal(pp.Account)
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprintf("ok %s %s %s %s", pp.JID, pp.LID, base64.StdEncoding.EncodeToString(acct),
		hex.EncodeToString(pp.AccountIdentityPub[:]))
}

// cpuNanos is the process's user+system CPU time.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// raiseNoFile lifts the open-file soft limit to the hard limit; 10,000
// sessions need 10,000 sockets on each side plus the database.
func raiseNoFile() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
