// Package walog adapts a zap logger to whatsmeow's printf-style logger
// interface, so the device store and the clients log through the process
// logger.
package walog

import (
	"fmt"

	"go.uber.org/zap"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// Logger forwards whatsmeow's log lines to zap under a static message with
// the formatted text in a field. Debug lines are dropped on purpose: at debug
// level whatsmeow dumps raw protocol nodes, which carry QR references and key
// material that must never reach a log line.
type Logger struct {
	log *zap.Logger
}

var _ waLog.Logger = (*Logger)(nil)

// New returns an adapter writing to log.
func New(log *zap.Logger) *Logger {
	return &Logger{log: log}
}

// Warnf logs at warn level.
func (l *Logger) Warnf(msg string, args ...any) {
	l.log.Warn("whatsmeow", zap.String("detail", fmt.Sprintf(msg, args...)))
}

// Errorf logs at error level.
func (l *Logger) Errorf(msg string, args ...any) {
	l.log.Error("whatsmeow", zap.String("detail", fmt.Sprintf(msg, args...)))
}

// Infof logs at info level.
func (l *Logger) Infof(msg string, args ...any) {
	if ce := l.log.Check(zap.InfoLevel, "whatsmeow"); ce != nil {
		ce.Write(zap.String("detail", fmt.Sprintf(msg, args...)))
	}
}

// Debugf drops the line (see Logger).
func (l *Logger) Debugf(string, ...any) {}

// Sub returns a logger for a whatsmeow module.
func (l *Logger) Sub(module string) waLog.Logger {
	return &Logger{log: l.log.Named(module)}
}
