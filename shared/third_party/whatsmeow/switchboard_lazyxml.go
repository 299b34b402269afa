package whatsmeow

import waBinary "go.mau.fi/whatsmeow/binary"

// lazyXML formats a node as XML only when a logger prints it.
//
// Switchboard patch: every node sent and received was formatted with
// XMLString for a debug line (client.go, sendNodeAndGetData and
// handleFrame) before the logger could drop it: 14 % of the bytes a
// linking gateway allocated, and the CPU to format them.
type lazyXML struct{ node *waBinary.Node }

func (l lazyXML) String() string { return l.node.XMLString() }
