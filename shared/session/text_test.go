package session

import "testing"

func TestValidText(t *testing.T) {
	for s, want := range map[string]bool{
		"Business Account": true, "Café 東京 😀": true, "": true,
		"a\x00b": false, "bell\a": false, "line\nbreak": false, "tab\t": false, "del\x7f": false,
		"c1\u0085": false, "rlo\u202Egnp.exe": false, "lri\u2066x": false, "lrm\u200E": false,
		"alm\u061C": false, "\xff": false,
	} {
		if got := ValidText(s); got != want {
			t.Errorf("ValidText(%q) = %v, want %v", s, got, want)
		}
	}
}
