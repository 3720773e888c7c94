// Package filter parses SCIM 2.0 filters (RFC 7644 §3.4.2.2) and PATCH paths
// (RFC 7644 §3.5.2) into a small syntax tree, and evaluates a tree against an
// in-memory resource.
//
// The parser is hand-written rather than borrowed because the one library the
// ecosystem has for this (scim2/filter-parser) is not available to us, and
// because the IdPs that push to dirsync send filters the RFC grammar rejects
// (unquoted values, upper-case operators, "True"), which we must accept while
// still failing clearly, with a column, on real garbage. Input length and
// nesting depth are capped so that a hostile filter cannot exhaust the stack.
package filter

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Expr is a node of a parsed filter: *Compare, *Logical, *Not or *ValuePath.
type Expr interface {
	// String renders the node in canonical filter syntax (lower-case
	// operators, quoted strings, nested logic parenthesised), so that a parsed
	// filter can be compared, logged and reparsed.
	String() string
	node()
}

// AttrPath names an attribute: an optional schema URN, the attribute and an
// optional sub-attribute, as written (comparisons are case-insensitive).
type AttrPath struct {
	// URN is the schema prefix without its trailing colon, e.g.
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"; empty for
	// a core attribute.
	URN string
	// Name is the attribute, e.g. "name" or "userName".
	Name string
	// Sub is the sub-attribute, e.g. "givenName" in "name.givenName".
	Sub string
}

func (p AttrPath) String() string {
	var b strings.Builder
	if p.URN != "" {
		b.WriteString(p.URN)
		b.WriteByte(':')
	}
	b.WriteString(p.Name)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Op is a comparison operator, always lower-case after parsing.
type Op string

// The operators of RFC 7644 §3.4.2.2.
const (
	Eq      Op = "eq"
	Ne      Op = "ne"
	Co      Op = "co"
	Sw      Op = "sw"
	Ew      Op = "ew"
	Gt      Op = "gt"
	Ge      Op = "ge"
	Lt      Op = "lt"
	Le      Op = "le"
	Present Op = "pr"
)

var ops = map[string]Op{"eq": Eq, "ne": Ne, "co": Co, "sw": Sw, "ew": Ew, "gt": Gt, "ge": Ge, "lt": Lt, "le": Le, "pr": Present}

// Kind is the type of a comparison value.
type Kind int

// The value kinds a filter can compare with.
const (
	String Kind = iota
	Number
	Bool
	Null
)

// Value is a literal on the right of a comparison.
type Value struct {
	Kind Kind
	Str  string  // for String
	Num  float64 // for Number
	Bool bool    // for Bool
}

func (v Value) String() string {
	switch v.Kind {
	case Number:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Null:
		return "null"
	}
	b, _ := json.Marshal(v.Str)
	return string(b)
}

// Any returns the value as the JSON decoder would (string, float64, bool or nil).
func (v Value) Any() any {
	switch v.Kind {
	case Number:
		return v.Num
	case Bool:
		return v.Bool
	case Null:
		return nil
	}
	return v.Str
}

// Compare is `path op value`, or `path pr` when Op is Present.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value Value
}

func (c *Compare) String() string {
	if c.Op == Present {
		return c.Path.String() + " pr"
	}
	return c.Path.String() + " " + string(c.Op) + " " + c.Value.String()
}

// LogicOp joins the terms of a Logical node.
type LogicOp string

// The logical operators.
const (
	And LogicOp = "and"
	Or  LogicOp = "or"
)

// Logical is a chain of terms joined by one operator. Chains are kept flat
// (a and b and c is one node with three terms) so that a long filter does not
// become a deep tree.
type Logical struct {
	Op    LogicOp
	Terms []Expr
}

func (l *Logical) String() string {
	parts := make([]string, len(l.Terms))
	for i, t := range l.Terms {
		if _, ok := t.(*Logical); ok {
			parts[i] = "(" + t.String() + ")"
		} else {
			parts[i] = t.String()
		}
	}
	return strings.Join(parts, " "+string(l.Op)+" ")
}

// Not negates its operand.
type Not struct{ X Expr }

func (n *Not) String() string { return "not (" + n.X.String() + ")" }

// ValuePath is `attr[filter]`: it matches when one element of the
// multi-valued attribute matches Filter, whose paths are relative to that
// element (e.g. `emails[type eq "work"]`).
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (v *ValuePath) String() string { return v.Path.String() + "[" + v.Filter.String() + "]" }

func (*Compare) node()   {}
func (*Logical) node()   {}
func (*Not) node()       {}
func (*ValuePath) node() {}

// Path is a PATCH operation's target: an attribute path, optionally with a
// value filter on a multi-valued attribute and a sub-attribute of the matching
// elements, e.g. `emails[type eq "work"].value` (Attr emails, Filter, Sub value).
type Path struct {
	Attr   AttrPath
	Filter Expr
	// Sub is the sub-attribute after a value filter; a path without a filter
	// keeps its sub-attribute in Attr.Sub.
	Sub string
}

func (p Path) String() string {
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}
