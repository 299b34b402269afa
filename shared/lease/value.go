package lease

import (
	"strconv"
	"strings"
)

// A lease's value names its holder and, once renewed, the epoch it was
// taken at: "holder" when created or adopted (the epoch is then the entry's
// own revision) and "holder\n<epoch>" on every renewal, because a renewal's
// revision is no longer the epoch. Readers that only see the latest entry
// (a KV watch after a restart) can so tell which incarnation of a holder
// owns the lease, and compare it with the epoch a session record carries.
const epochSep = "\n"

// EncodeValue is the value a holder writes: the holder alone when epoch is
// 0 (create, adopt), else holder and epoch.
func EncodeValue(holder string, epoch uint64) []byte {
	if epoch == 0 {
		return []byte(holder)
	}
	return []byte(holder + epochSep + strconv.FormatUint(epoch, 10))
}

// ParseValue returns the holder and epoch of a lease entry with value v at
// revision rev.
func ParseValue(v []byte, rev uint64) (holder string, epoch uint64) {
	s := string(v)
	h, e, ok := strings.Cut(s, epochSep)
	if !ok {
		return s, rev
	}
	n, err := strconv.ParseUint(e, 10, 64)
	if err != nil {
		return s, rev
	}
	return h, n
}
