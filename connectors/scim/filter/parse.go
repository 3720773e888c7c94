package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Default limits; real IdP filters are a few dozen characters and one or two
// levels deep, so these leave ample room while bounding parser recursion.
const (
	DefaultMaxLength = 4096
	DefaultMaxDepth  = 16
)

// Limits caps what Parse and ParsePath accept. A zero field takes its default.
type Limits struct {
	// MaxLength is the longest filter accepted, in bytes.
	MaxLength int
	// MaxDepth is the deepest nesting of parentheses, not and value filters.
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultMaxLength
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Error is a parse error; Column is 1-based and counts characters (runes).
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Msg) }

// Parse parses a filter. Every error it returns is an *Error.
func Parse(s string, lim Limits) (Expr, error) {
	p, err := newParser(s, lim)
	if err != nil {
		return nil, err
	}
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errf("unexpected %s", p.describe())
	}
	return e, nil
}

// ParsePath parses a PATCH path: attrPath, or valuePath with an optional
// sub-attribute. Every error it returns is an *Error.
func ParsePath(s string, lim Limits) (Path, error) {
	p, err := newParser(s, lim)
	if err != nil {
		return Path{}, err
	}
	p.skipSpace()
	start := p.pos
	ap, err := p.attrPath()
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: ap}
	if p.peek() == '[' {
		if ap.Sub != "" {
			return Path{}, p.errAt(start, "a value filter applies to an attribute, not a sub-attribute")
		}
		if path.Filter, err = p.valueFilter(); err != nil {
			return Path{}, err
		}
		if p.peek() == '.' {
			p.pos++
			subStart := p.pos
			sub := p.word()
			if !validName(sub) {
				return Path{}, p.errAt(subStart, "expected sub-attribute name")
			}
			path.Sub = sub
		}
	}
	p.skipSpace()
	if !p.eof() {
		return Path{}, p.errf("unexpected %s", p.describe())
	}
	return path, nil
}

type parser struct {
	src   string
	pos   int
	depth int
	lim   Limits
}

func newParser(s string, lim Limits) (*parser, error) {
	lim = lim.withDefaults()
	p := &parser{src: s, lim: lim}
	if len(s) > lim.MaxLength {
		return nil, &Error{Column: 1, Msg: fmt.Sprintf("filter is %d bytes long, the limit is %d", len(s), lim.MaxLength)}
	}
	if !utf8.ValidString(s) {
		return nil, &Error{Column: 1, Msg: "filter is not valid UTF-8"}
	}
	if strings.TrimSpace(s) == "" {
		return nil, &Error{Column: 1, Msg: "empty filter"}
	}
	return p, nil
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) errAt(pos int, format string, args ...any) *Error {
	return &Error{Column: utf8.RuneCountInString(p.src[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errf(format string, args ...any) *Error { return p.errAt(p.pos, format, args...) }

// describe names what is at the current position, for error messages.
func (p *parser) describe() string {
	if p.eof() {
		return "end of filter"
	}
	w := p.src[p.pos:]
	if n := strings.IndexAny(w, " \t\r\n"); n > 0 {
		w = w[:n]
	}
	if len(w) > 20 {
		w = w[:20] + "..."
	}
	return strconv.Quote(w)
}

func (p *parser) skipSpace() {
	for !p.eof() {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '(', ')', '[', ']', '"':
		return true
	}
	return false
}

// word reads up to the next delimiter (space, bracket, parenthesis, quote).
func (p *parser) word() string {
	start := p.pos
	for !p.eof() && !isDelim(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// keyword reports whether the next word is kw (case-insensitively), without
// consuming it.
func (p *parser) keyword(kw string) bool {
	end := p.pos
	for end < len(p.src) && !isDelim(p.src[end]) {
		end++
	}
	return strings.EqualFold(p.src[p.pos:end], kw)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return p.errf("filter is nested deeper than %d levels", p.lim.MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseOr parses terms joined by "or"; "and" binds tighter. inValue is true
// inside a value filter, where nested value filters are not allowed.
func (p *parser) parseOr(inValue bool) (Expr, error) {
	return p.chain(Or, inValue, func() (Expr, error) {
		return p.chain(And, inValue, func() (Expr, error) { return p.parseUnary(inValue) })
	})
}

func (p *parser) chain(op LogicOp, inValue bool, term func() (Expr, error)) (Expr, error) {
	first, err := term()
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	for {
		save := p.pos
		p.skipSpace()
		if !p.keyword(string(op)) {
			p.pos = save
			break
		}
		p.pos += len(op)
		next, err := term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, next)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &Logical{Op: op, Terms: terms}, nil
}

func (p *parser) parseUnary(inValue bool) (Expr, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errf("expected attribute, \"not\" or \"(\"; found end of filter")
	}
	if p.keyword("not") {
		save := p.pos
		p.pos += 3
		p.skipSpace()
		if p.peek() == '(' {
			x, err := p.group(inValue)
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
		p.pos = save // an attribute that happens to be called "not"
	}
	if p.peek() == '(' {
		return p.group(inValue)
	}
	return p.attrExpr(inValue)
}

// group parses "(" filter ")".
func (p *parser) group(inValue bool) (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++ // '('
	e, err := p.parseOr(inValue)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.errf("expected \")\", found %s", p.describe())
	}
	p.pos++
	return e, nil
}

func (p *parser) attrExpr(inValue bool) (Expr, error) {
	start := p.pos
	path, err := p.attrPath()
	if err != nil {
		return nil, err
	}
	if p.peek() == '[' {
		if inValue {
			return nil, p.errf("value filters cannot be nested")
		}
		if path.Sub != "" {
			return nil, p.errAt(start, "a value filter applies to an attribute, not a sub-attribute")
		}
		f, err := p.valueFilter()
		if err != nil {
			return nil, err
		}
		return &ValuePath{Path: path, Filter: f}, nil
	}
	p.skipSpace()
	opPos := p.pos
	w := p.word()
	op, ok := ops[strings.ToLower(w)]
	if !ok {
		if w == "" {
			return nil, p.errAt(opPos, "expected operator after %q, found %s", path.String(), p.describe())
		}
		return nil, p.errAt(opPos, "expected operator after %q, found %q", path.String(), w)
	}
	if op == Present {
		return &Compare{Path: path, Op: op}, nil
	}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

// valueFilter parses "[" valFilter "]".
func (p *parser) valueFilter() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++ // '['
	f, err := p.parseOr(true)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ']' {
		return nil, p.errf("expected \"]\", found %s", p.describe())
	}
	p.pos++
	return f, nil
}

// attrPath parses [URN ":"] ATTRNAME ["." subAttr]. A URN is recognised by
// its "urn:" prefix; the attribute follows its last colon (the URN itself
// contains dots, as in "2.0", so dots before that colon are not sub-paths).
func (p *parser) attrPath() (AttrPath, error) {
	start := p.pos
	w := p.word()
	if w == "" {
		return AttrPath{}, p.errAt(start, "expected attribute name, found %s", p.describe())
	}
	var ap AttrPath
	rest, restPos := w, start
	if len(w) > 4 && strings.EqualFold(w[:4], "urn:") {
		i := strings.LastIndexByte(w, ':')
		ap.URN, rest, restPos = w[:i], w[i+1:], start+i+1
	}
	name, sub, hasSub := strings.Cut(rest, ".")
	if !validName(name) {
		return AttrPath{}, p.errAt(restPos, "invalid attribute name %q", name)
	}
	if hasSub {
		if !validName(sub) {
			return AttrPath{}, p.errAt(restPos+len(name)+1, "invalid sub-attribute name %q", sub)
		}
		ap.Sub = sub
	}
	ap.Name = name
	return ap, nil
}

// validName accepts RFC 7643 ATTRNAME plus a leading "$" for "$ref".
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i == 0 && c == '$':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// value parses a comparison value: a JSON string, number, true, false or
// null, or, as clients send them, an unquoted word taken as a string.
func (p *parser) value() (Value, error) {
	start := p.pos
	if p.peek() == '"' {
		return p.quoted()
	}
	w := p.word()
	if w == "" {
		return Value{}, p.errAt(start, "expected value, found %s", p.describe())
	}
	switch strings.ToLower(w) {
	case "true":
		return Value{Kind: Bool, Bool: true}, nil
	case "false":
		return Value{Kind: Bool}, nil
	case "null":
		return Value{Kind: Null}, nil
	}
	if c := w[0]; c == '-' || c >= '0' && c <= '9' {
		if f, err := strconv.ParseFloat(w, 64); err == nil && isJSONNumber(w) {
			return Value{Kind: Number, Num: f}, nil
		}
	}
	return Value{Kind: String, Str: w}, nil
}

func isJSONNumber(s string) bool {
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

// quoted parses a JSON string literal starting at the opening quote.
func (p *parser) quoted() (Value, error) {
	start := p.pos
	i := p.pos + 1
	for ; i < len(p.src); i++ {
		if p.src[i] == '\\' {
			i++
			continue
		}
		if p.src[i] == '"' {
			break
		}
	}
	if i >= len(p.src) {
		return Value{}, p.errAt(start, "unterminated string")
	}
	var s string
	if err := json.Unmarshal([]byte(p.src[start:i+1]), &s); err != nil {
		return Value{}, p.errAt(start, "invalid string literal")
	}
	p.pos = i + 1
	return Value{Kind: String, Str: s}, nil
}
