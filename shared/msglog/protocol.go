package msglog

// ListRequest is the body of a wa.msglog.list.<tenant>.<session> request.
type ListRequest struct {
	Chat   string `json:"chat,omitempty"`
	Before int64  `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// ListReply answers a ListRequest.
type ListReply struct {
	Messages   []Entry `json:"messages"`
	NextBefore int64   `json:"next_before,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// EraseReply answers a wa.msglog.erase.<tenant>.<session> request.
type EraseReply struct {
	Deleted int64  `json:"deleted"`
	Error   string `json:"error,omitempty"`
}

// GetRequest is the body of a wa.msglog.get.<tenant>.<session> request:
// one outbound message.
type GetRequest struct {
	ID string `json:"id"`
}

// GetReply answers a GetRequest.
type GetReply struct {
	Found bool   `json:"found"`
	Entry Entry  `json:"entry"`
	Error string `json:"error,omitempty"`
}

// Verbs of the request subjects.
const (
	VerbList  = "list"
	VerbErase = "erase"
	VerbGet   = "get"
)
