package session

import (
	"unicode"
	"unicode/utf8"
)

// ValidText reports whether s is safe as a display name: valid UTF-8 with
// no control characters (NUL, BEL, newlines, DEL, C1) and no bidirectional
// formatting characters, which can make a name render as something else
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
func ValidText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}
