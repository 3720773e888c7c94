package filter

import (
	"errors"
	"strings"
	"testing"
)

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "eq string", in: `userName eq "bjensen"`, want: `userName eq "bjensen"`},
		{name: "operators ignore case", in: `userName EQ "x" AND active Eq True`, want: `userName eq "x" and active eq true`},
		{name: "every operator", in: `a ne 1 or b co "x" or c sw "x" or d ew "x" or e gt 1 or f ge 1 or g lt 1 or h le 1 or i pr`,
			want: `a ne 1 or b co "x" or c sw "x" or d ew "x" or e gt 1 or f ge 1 or g lt 1 or h le 1 or i pr`},
		{name: "and binds tighter than or", in: `a eq 1 or b eq 2 and c eq 3`, want: `a eq 1 or (b eq 2 and c eq 3)`},
		{name: "and chain is flat", in: `a eq 1 and b eq 2 and c eq 3`, want: `a eq 1 and b eq 2 and c eq 3`},
		{name: "parentheses override", in: `(a eq 1 or b eq 2) and c eq 3`, want: `(a eq 1 or b eq 2) and c eq 3`},
		{name: "not", in: `not (active eq true)`, want: `not (active eq true)`},
		{name: "not without space", in: `NOT(a pr) and b pr`, want: `not (a pr) and b pr`},
		{name: "attribute called not", in: `not eq "x"`, want: `not eq "x"`},
		{name: "sub-attribute", in: `name.givenName sw "Ba"`, want: `name.givenName sw "Ba"`},
		{name: "urn attribute", in: ent + `:employeeNumber eq "701984"`, want: ent + `:employeeNumber eq "701984"`},
		{name: "urn sub-attribute", in: ent + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			want: ent + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`},
		{name: "meta lastModified", in: `meta.lastModified gt "2024-01-01T00:00:00Z"`, want: `meta.lastModified gt "2024-01-01T00:00:00Z"`},
		{name: "value path", in: `emails[type eq "work" and primary eq true]`, want: `emails[type eq "work" and primary eq true]`},
		{name: "members value path", in: `members[value eq "x"]`, want: `members[value eq "x"]`},
		{name: "value path in logic", in: `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			want: `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`},
		{name: "unquoted value", in: `userName eq bjensen`, want: `userName eq "bjensen"`},
		{name: "unquoted value before paren", in: `(userName eq bjensen)`, want: `userName eq "bjensen"`},
		{name: "numbers", in: `x eq -1.5e3 or y eq 42`, want: `x eq -1500 or y eq 42`},
		{name: "null", in: `title eq null`, want: `title eq null`},
		{name: "bool false", in: `active eq false`, want: `active eq false`},
		{name: "escaped string", in: `displayName eq "a \"b\" \u00e9"`, want: `displayName eq "a \"b\" é"`},
		{name: "string with brackets", in: `displayName eq "a ) [b]"`, want: `displayName eq "a ) [b]"`},
		{name: "extra space", in: "  userName   eq\t\"x\"  ", want: `userName eq "x"`},
		{name: "ref attribute", in: `members.$ref pr`, want: `members.$ref pr`},
		{name: "number-like word is a string", in: `x eq 12ab`, want: `x eq "12ab"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := e.String(); got != tt.want {
				t.Fatalf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// The canonical form must reparse to itself.
			again, err := Parse(e.String(), Limits{})
			if err != nil || again.String() != tt.want {
				t.Fatalf("reparse %q: %v, %v", e.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		lim            Limits
	}{
		{name: "empty", in: "  ", want: "column 1: empty filter"},
		{name: "missing operator", in: `userName "x"`, want: `column 10: expected operator after "userName"`},
		{name: "unknown operator", in: `userName equals "x"`, want: `column 10: expected operator after "userName", found "equals"`},
		{name: "missing value", in: `userName eq`, want: "column 12: expected value, found end of filter"},
		{name: "unterminated string", in: `userName eq "abc`, want: "column 13: unterminated string"},
		{name: "unbalanced paren", in: `(a eq 1`, want: `column 8: expected ")"`},
		{name: "stray paren", in: `a eq 1)`, want: `column 7: unexpected ")"`},
		{name: "dangling and", in: `a eq 1 and`, want: "column 11: expected attribute"},
		{name: "bad name", in: `1abc eq 1`, want: `column 1: invalid attribute name "1abc"`},
		{name: "bad sub", in: `name.given.x eq 1`, want: `column 6: invalid sub-attribute name "given.x"`},
		{name: "unclosed bracket", in: `emails[type eq "work"`, want: `column 22: expected "]"`},
		{name: "nested value filter", in: `emails[x[y eq 1]]`, want: "column 9: value filters cannot be nested"},
		{name: "bad escape", in: `a eq "\q"`, want: "column 6: invalid string literal"},
		{name: "column counts runes", in: `displayName eq "é" x`, want: `column 20: unexpected "x"`},
		{name: "too long", in: strings.Repeat("a", 20), lim: Limits{MaxLength: 10}, want: "column 1: filter is 20 bytes long, the limit is 10"},
		{name: "too deep", in: `((((a pr))))`, lim: Limits{MaxDepth: 3}, want: "column 4: filter is nested deeper than 3 levels"},
		{name: "not too deep", in: `not (not (not (a pr)))`, lim: Limits{MaxDepth: 2}, want: "nested deeper than 2"},
		{name: "invalid utf8", in: "a eq \"\xff\"", want: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in, tt.lim)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		name, in, want string
		attr, sub      string
		filter         bool
		wantErr        string
	}{
		{name: "simple", in: "active", want: "active", attr: "active"},
		{name: "sub", in: "name.givenName", want: "name.givenName", attr: "name"},
		{name: "urn", in: ent + ":employeeNumber", want: ent + ":employeeNumber", attr: "employeeNumber"},
		{name: "value filter", in: `members[value eq "2819c223"]`, want: `members[value eq "2819c223"]`, attr: "members", filter: true},
		{name: "value filter sub", in: `emails[type eq "work"].value`, want: `emails[type eq "work"].value`, attr: "emails", sub: "value", filter: true},
		{name: "trailing junk", in: "active x", wantErr: `column 8: unexpected "x"`},
		{name: "bad sub after filter", in: `emails[type eq "work"].`, wantErr: "column 24: expected sub-attribute name"},
		{name: "empty", in: "", wantErr: "empty filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePath(tt.in, Limits{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePath(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tt.want || p.Attr.Name != tt.attr || p.Sub != tt.sub || (p.Filter != nil) != tt.filter {
				t.Fatalf("ParsePath(%q) = %+v", tt.in, p)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`, `a eq 1 or b eq 2 and not (c pr)`, `emails[type eq "work" and primary eq true]`,
		ent + `:employeeNumber eq "1"`, `meta.lastModified gt "2024-01-01T00:00:00Z"`, `userName eq bjensen`,
		`((a pr))`, `x eq "\u00e9\"`, `members[value eq "x"].display`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, Limits{MaxLength: 512, MaxDepth: 8})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %v is not a parse error", s, err)
			}
		} else {
			if _, err := Parse(e.String(), Limits{}); err != nil {
				t.Fatalf("canonical form %q of %q does not reparse: %v", e.String(), s, err)
			}
			Match(e, map[string]any{"userName": "x", "emails": []any{map[string]any{"value": "a"}}})
		}
		if _, err := ParsePath(s, Limits{MaxLength: 512, MaxDepth: 8}); err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePath(%q): error %v is not a parse error", s, err)
			}
		}
	})
}
