// Package logging builds the zap logger every binary passes down.
package logging

import (
	"errors"
	"fmt"
	"os"

	"github.com/mattn/go-isatty"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Formats of Config.Format (SWITCHBOARD_LOG_FORMAT).
const (
	// FormatJSON writes one JSON object per line, for log collectors.
	FormatJSON = "json"
	// FormatConsole writes aligned, coloured lines for people.
	FormatConsole = "console"
)

// Config configures a logger.
type Config struct {
	// Level is "debug", "info", "warn" or "error" (default "info").
	Level string
	// Format is FormatJSON, FormatConsole or "" (auto: console when Out is
	// a terminal, JSON otherwise).
	Format string
	// Out receives the lines (default os.Stderr).
	Out *os.File
}

// New returns a logger at level in the format SWITCHBOARD_LOG_FORMAT names
// (format "" picks console on a terminal, JSON otherwise), writing to stderr.
func New(level, format string) (*zap.Logger, error) {
	return Build(Config{Level: level, Format: format})
}

// Build returns the logger cfg describes.
func Build(cfg Config) (*zap.Logger, error) {
	if cfg.Level == "" {
		cfg.Level = "info"
	}
	if cfg.Out == nil {
		cfg.Out = os.Stderr
	}
	lvl, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	format, err := Resolve(cfg.Format, cfg.Out)
	if err != nil {
		return nil, err
	}
	var enc zapcore.Encoder
	if format == FormatConsole {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		if isTerminal(cfg.Out) {
			ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	}
	core := zapcore.NewCore(enc, zapcore.Lock(cfg.Out), zap.NewAtomicLevelAt(lvl))
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel)), nil
}

// Resolve returns the format to use on out: format itself when set, else
// console when out is a terminal and JSON otherwise.
func Resolve(format string, out *os.File) (string, error) {
	switch format {
	case FormatJSON, FormatConsole:
		return format, nil
	case "":
		if isTerminal(out) {
			return FormatConsole, nil
		}
		return FormatJSON, nil
	}
	return "", errors.New("logging: format must be json or console")
}

func isTerminal(f *os.File) bool {
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}
