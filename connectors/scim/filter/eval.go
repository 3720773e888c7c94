package filter

import (
	"strings"
)

// Match reports whether a resource, as decoded from JSON (maps, slices,
// strings, float64, bool), matches e. Attribute names are looked up
// case-insensitively; an extension attribute is looked up under its schema
// URN key. String comparisons ignore case, as SCIM's caseExact=false
// attributes require; a multi-valued attribute matches when any element does,
// and a multi-valued complex attribute compares through its "value".
func Match(e Expr, res map[string]any) bool {
	switch e := e.(type) {
	case *Logical:
		for _, t := range e.Terms {
			m := Match(t, res)
			if e.Op == And && !m {
				return false
			}
			if e.Op == Or && m {
				return true
			}
		}
		return e.Op == And
	case *Not:
		return !Match(e.X, res)
	case *ValuePath:
		v, ok := lookupAttr(res, e.Path)
		if !ok {
			return false
		}
		for _, el := range asList(v) {
			if m, ok := el.(map[string]any); ok && Match(e.Filter, m) {
				return true
			}
		}
		return false
	case *Compare:
		v, ok := Lookup(res, e.Path)
		if e.Op == Present {
			return ok && present(v)
		}
		if e.Value.Kind == Null {
			// "eq null" means absent; anything else against null is false.
			has := ok && present(v)
			return e.Op == Eq && !has || e.Op == Ne && has
		}
		if e.Op == Ne {
			// ne is "no value equals", so a multi-valued attribute with one
			// equal element does not match.
			return !Match(&Compare{Path: e.Path, Op: Eq, Value: e.Value}, res)
		}
		if !ok {
			return false
		}
		for _, el := range asList(v) {
			if m, isMap := el.(map[string]any); isMap {
				el, _ = Get(m, "value")
			}
			if compare(el, e.Op, e.Value) {
				return true
			}
		}
		return false
	}
	return false
}

// Get returns m's value under key, matching the key case-insensitively.
func Get(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// lookupAttr resolves path's URN and attribute, ignoring Sub.
func lookupAttr(res map[string]any, p AttrPath) (any, bool) {
	if p.URN != "" {
		ext, ok := Get(res, p.URN)
		if !ok {
			return nil, false
		}
		m, ok := ext.(map[string]any)
		if !ok {
			return nil, false
		}
		res = m
	}
	return Get(res, p.Name)
}

// Lookup resolves a full attribute path in res. For a sub-attribute of a
// multi-valued attribute it returns the list of the elements' values.
func Lookup(res map[string]any, p AttrPath) (any, bool) {
	v, ok := lookupAttr(res, p)
	if !ok || p.Sub == "" {
		return v, ok
	}
	switch v := v.(type) {
	case map[string]any:
		return Get(v, p.Sub)
	case []any:
		var out []any
		for _, el := range v {
			if m, ok := el.(map[string]any); ok {
				if s, ok := Get(m, p.Sub); ok {
					out = append(out, s)
				}
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

func compare(have any, op Op, want Value) bool {
	switch want.Kind {
	case Bool:
		b, ok := have.(bool)
		if !ok {
			s, isStr := have.(string)
			if !isStr || !(strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
				return false
			}
			b = strings.EqualFold(s, "true")
		}
		switch op {
		case Eq:
			return b == want.Bool
		case Ne:
			return b != want.Bool
		}
		return false
	case Number:
		n, ok := have.(float64)
		if !ok {
			return false
		}
		return ordered(op, cmpFloat(n, want.Num))
	case String:
		s, ok := have.(string)
		if !ok {
			return false
		}
		s, w := strings.ToLower(s), strings.ToLower(want.Str)
		switch op {
		case Co:
			return strings.Contains(s, w)
		case Sw:
			return strings.HasPrefix(s, w)
		case Ew:
			return strings.HasSuffix(s, w)
		}
		return ordered(op, strings.Compare(s, w))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}
