package filter

import (
	"encoding/json"
	"testing"
)

func TestMatch(t *testing.T) {
	var user map[string]any
	if err := json.Unmarshal([]byte(`{
		"userName": "BJensen@example.com",
		"active": true,
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [
			{"value": "bjensen@example.com", "type": "work", "primary": true},
			{"value": "babs@home.example", "type": "home"}
		],
		"age": 42,
		"`+ent+`": {"employeeNumber": "701984"}
	}`), &user); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true},
		{`USERNAME Eq "BJENSEN@EXAMPLE.COM"`, true},
		{`userName eq "other"`, false},
		{`userName ne "other"`, true},
		{`userName sw "bjen"`, true},
		{`userName ew ".com"`, true},
		{`userName co "@EXAMPLE"`, true},
		{`name.givenName eq "barbara"`, true},
		{`name.middleName pr`, false},
		{`title pr`, false},
		{`title eq null`, true},
		{`userName ne null`, true},
		{`active eq true`, true},
		{`active eq false`, false},
		{`age gt 40 and age le 42`, true},
		{`age lt 42`, false},
		{`emails eq "babs@home.example"`, true},
		{`emails.type eq "home"`, true},
		{`emails.value ne "babs@home.example"`, false},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[type eq "home" and primary eq true]`, false},
		{`emails[type eq "home"] and not (active eq false)`, true},
		{ent + `:employeeNumber eq "701984"`, true},
		{`urn:other:x eq "701984"`, false},
		{`userName eq "x" or (active eq true and name.familyName sw "J")`, true},
		{`not (userName pr)`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			e, err := Parse(tt.filter, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := Match(e, user); got != tt.want {
				t.Fatalf("Match(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}
