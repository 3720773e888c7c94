package oktafake

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A filter is Okta's filter/search expression language, reduced to what a
// sync uses: `attr op value` clauses (eq, gt, ge, lt, le, sw) joined with
// `and` / `or` (and binds tighter), no parentheses. Timestamps compare as
// times, everything else as strings.
type filter [][]clause // OR of ANDs

type clause struct{ attr, op, value string }

// attrs resolves an attribute of one object; ok is false for an attribute
// the object type does not support.
type attrs func(name string) (value string, isTime, ok bool)

func parseFilter(s string) (filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	var f filter
	var and []clause
	for i := 0; ; {
		if i+3 > len(toks) {
			return nil, errors.New("incomplete expression")
		}
		c := clause{attr: toks[i], op: strings.ToLower(toks[i+1]), value: toks[i+2]}
		switch c.op {
		case "eq", "gt", "ge", "lt", "le", "sw":
		default:
			return nil, fmt.Errorf("unsupported operator %q", c.op)
		}
		and = append(and, c)
		i += 3
		if i == len(toks) {
			return append(f, and), nil
		}
		switch strings.ToLower(toks[i]) {
		case "and":
		case "or":
			f, and = append(f, and), nil
		default:
			return nil, fmt.Errorf("expected and/or, got %q", toks[i])
		}
		i++
	}
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.New("unterminated string")
			}
			v, err := strconv.Unquote(s[:end+2])
			if err != nil {
				return nil, err
			}
			toks = append(toks, v)
			s = s[end+2:]
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		toks = append(toks, s[:end])
		s = s[end:]
	}
	return toks, nil
}

// mentions reports whether any clause uses attr.
func (f filter) mentions(attr string) bool {
	for _, and := range f {
		for _, c := range and {
			if c.attr == attr {
				return true
			}
		}
	}
	return false
}

// check reports an attribute the object type cannot filter on.
func (f filter) check(get attrs) error {
	for _, and := range f {
		for _, c := range and {
			if _, _, ok := get(c.attr); !ok {
				return fmt.Errorf("unsupported attribute %q", c.attr)
			}
		}
	}
	return nil
}

func (f filter) match(get attrs) bool {
	if len(f) == 0 {
		return true
	}
	for _, and := range f {
		all := true
		for _, c := range and {
			if !c.match(get) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (c clause) match(get attrs) bool {
	v, isTime, ok := get(c.attr)
	if !ok {
		return false
	}
	cmp := strings.Compare(v, c.value)
	if isTime {
		a, err1 := time.Parse(time.RFC3339Nano, v)
		b, err2 := time.Parse(time.RFC3339Nano, c.value)
		if err1 != nil || err2 != nil {
			return false
		}
		cmp = a.Compare(b)
	}
	switch c.op {
	case "eq":
		return cmp == 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	case "sw":
		return strings.HasPrefix(strings.ToLower(v), strings.ToLower(c.value))
	}
	return false
}

func (u *User) attrs(name string) (string, bool, bool) {
	switch name {
	case "id":
		return u.ID, false, true
	case "status":
		return u.Status, false, true
	case "created":
		return u.Created.Format(TimeLayout), true, true
	case "lastUpdated":
		return u.LastUpdated.Format(TimeLayout), true, true
	case "statusChanged":
		return u.StatusChanged.Format(TimeLayout), true, true
	}
	if p, ok := strings.CutPrefix(name, "profile."); ok {
		v, _ := u.Profile[p].(string)
		return v, false, true
	}
	return "", false, false
}

func (g *group) attrs(name string) (string, bool, bool) {
	switch name {
	case "id":
		return g.ID, false, true
	case "type":
		return "OKTA_GROUP", false, true
	case "created":
		return g.Created.Format(TimeLayout), true, true
	case "lastUpdated":
		return g.LastUpdated.Format(TimeLayout), true, true
	case "lastMembershipUpdated":
		return g.LastMembershipUpdated.Format(TimeLayout), true, true
	case "profile.name":
		return g.Name, false, true
	case "profile.description":
		return g.Description, false, true
	}
	return "", false, false
}
