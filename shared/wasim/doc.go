// Package wasim is an embeddable WhatsApp Web (multi-device) server simulator.
//
// It speaks the real wire protocol — websocket framing, the Noise XX handshake
// with a certificate chain, WhatsApp binary XML nodes — so that an unmodified
// whatsmeow client can pair (QR or phone code), log in, keep alive, receive
// Signal-encrypted messages, send messages to simulated phones (usync,
// prekey bundles, decryption, delivery and read receipts) and react to
// server-initiated disconnects.
//
// The protocol follows /work/shared/specs/wa-simulator.md. A Server exposes two
// listeners: the websocket endpoint (GET /ws/chat) that clients dial through
// the redirect in package waclient, and a JSON control API that plays the part
// of the user's phone and of WhatsApp's servers (scan a QR, type a link code,
// log a device out, inject faults). Every control operation is also a Go
// method on Server so in-process tests can call it directly.
package wasim
