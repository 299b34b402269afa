package openapi_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/api/openapi"
	"github.com/switchboard-gw/switchboard/shared/command"
)

// pendingEvents and pendingVerbs are documented ahead of their code (an
// event or verb being built on another branch): tolerated while absent from
// shared/. Empty: the catalogue matches the code exactly.
var (
	pendingEvents []string
	pendingVerbs  []string
)

// asyncDoc is the part of the AsyncAPI document the tests read.
type asyncDoc struct {
	AsyncAPI string `json:"asyncapi"`
	Channels map[string]struct {
		Address    *string `json:"address"`
		Parameters map[string]struct {
			Enum []string `json:"enum"`
		} `json:"parameters"`
		Messages map[string]struct {
			Ref string `json:"$ref"`
		} `json:"messages"`
	} `json:"channels"`
	Components struct {
		Messages map[string]struct {
			EventType   string          `json:"x-event-type"`
			WebhookOnly bool            `json:"x-webhook-only"`
			Summary     string          `json:"summary"`
			Payload     json.RawMessage `json:"payload"`
		} `json:"messages"`
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func loadAsync(t *testing.T) asyncDoc {
	t.Helper()
	raw, err := openapi.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	var d asyncDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi %q", d.AsyncAPI)
	}
	return d
}

// typedConsts returns the values of the string constants of type typeName
// declared in the Go package in dir: the source is the list, so a type
// added there without a catalogue entry fails this test.
func typedConsts(t *testing.T, dir, typeName string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					id, ok := vs.Type.(*ast.Ident)
					if !ok || id.Name != typeName {
						continue
					}
					for _, v := range vs.Values {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							out = append(out, s)
						}
					}
				}
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", typeName, dir)
	}
	return out
}

// sameSet fails unless got and want hold the same names, allowing only
// pending names to be documented before they exist in code.
func sameSet(t *testing.T, what string, got, want, pending []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %q is in the code but not in the catalogue", what, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !slices.Contains(pending, g) {
			t.Errorf("%s: %q is in the catalogue but not in the code", what, g)
		}
	}
}

// TestAsyncAPIEventTypes: every event.Type constant of shared/event is a
// message of the catalogue with its payload and a "when it fires" summary,
// and there is no other; the subject's type parameter lists every
// published type (all but webhook-only ones).
func TestAsyncAPIEventTypes(t *testing.T) {
	d := loadAsync(t)
	types := typedConsts(t, "../../shared/event", "Type")
	var msgs, published []string
	for name, m := range d.Components.Messages {
		if m.EventType == "" {
			continue
		}
		if m.EventType != name {
			t.Errorf("message %s has x-event-type %s", name, m.EventType)
		}
		if m.Summary == "" || len(m.Payload) == 0 {
			t.Errorf("message %s lacks a summary or payload", name)
		}
		if !strings.Contains(string(m.Payload), `"const":"`+name+`"`) {
			t.Errorf("message %s: payload does not fix type to %q", name, name)
		}
		msgs = append(msgs, name)
		if !m.WebhookOnly {
			published = append(published, name)
		}
	}
	sameSet(t, "event messages", msgs, types, pendingEvents)

	ch := d.Channels["sessionEvents"]
	if ch.Address == nil || *ch.Address != "wa.evt.{tenant}.{session}.{type}" {
		t.Fatalf("event channel address %v", ch.Address)
	}
	sameSet(t, "event subject types", ch.Parameters["type"].Enum, published, nil)
	var onChannel []string
	for name, m := range ch.Messages {
		if m.Ref != "#/components/messages/"+name {
			t.Errorf("channel message %s refers to %s", name, m.Ref)
		}
		onChannel = append(onChannel, name)
	}
	sameSet(t, "event channel messages", onChannel, published, nil)
}

// TestAsyncAPICommands: the command subject lists exactly the verbs of
// shared/command (each valid there), and the usage subject is documented
// with its billing fields.
func TestAsyncAPICommands(t *testing.T) {
	d := loadAsync(t)
	verbs := typedConsts(t, "../../shared/command", "Verb")
	for _, v := range verbs {
		if !command.Verb(v).Valid() {
			t.Errorf("verb %q is not Valid()", v)
		}
	}
	ch := d.Channels["commands"]
	if ch.Address == nil || *ch.Address != "wa.cmd.{tenant}.{session}.{verb}" {
		t.Fatalf("command channel address %v", ch.Address)
	}
	sameSet(t, "command verbs", ch.Parameters["verb"].Enum, verbs, pendingVerbs)
	var cmd struct {
		Properties struct {
			Verb struct {
				Enum []string `json:"enum"`
			} `json:"verb"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(d.Components.Schemas["Command"], &cmd); err != nil {
		t.Fatal(err)
	}
	sameSet(t, "command body verbs", cmd.Properties.Verb.Enum, verbs, pendingVerbs)

	u := d.Channels["usage"]
	if u.Address == nil || *u.Address != "wa.usage.{tenant}" {
		t.Fatalf("usage channel address %v", u.Address)
	}
	var usage struct {
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(d.Components.Schemas["Usage"], &usage); err != nil {
		t.Fatal(err)
	}
	want := []string{"tenant", "period_start", "period_end", "sessions_working_seconds", "messages_sent", "messages_received", "messages_failed"}
	sameSet(t, "usage fields", usage.Required, want, nil)
}
