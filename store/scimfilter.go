package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

// ErrInvalidFilter wraps a SCIM filter that parses but cannot be evaluated,
// such as "gt" on a boolean or a timestamp that is not RFC 3339.
var ErrInvalidFilter = errors.New("invalid filter")

// ListQuery selects users or groups for a SCIM list request.
type ListQuery struct {
	// Filter is a parsed SCIM filter; nil selects everything.
	Filter filter.Expr
	// SortBy is an attribute path; zero sorts by creation order. Every order
	// ends with the row's creation order, so paging is stable.
	SortBy     filter.AttrPath
	Descending bool
	// Offset is the number of rows to skip (SCIM startIndex - 1).
	Offset int
	// Limit is the most rows to return; 0 returns none, only the total.
	Limit int
}

// FindUsers returns one page of users matching q, and how many match in all.
func (t *Tx) FindUsers(ctx context.Context, q ListQuery) ([]*User, int, error) {
	tail, args, total, err := t.countMatching(ctx, userScope{}, q)
	if err != nil || tail == "" {
		return nil, total, err
	}
	users, err := t.queryUsers(ctx, tail, args...)
	return users, total, err
}

// FindGroups returns one page of groups matching q, and how many match in all.
func (t *Tx) FindGroups(ctx context.Context, q ListQuery) ([]*Group, int, error) {
	tail, args, total, err := t.countMatching(ctx, groupScope{}, q)
	if err != nil || tail == "" {
		return nil, total, err
	}
	groups, err := t.queryGroups(ctx, tail, args...)
	return groups, total, err
}

// countMatching compiles q, counts the matching rows and returns the query
// tail (WHERE, ORDER BY, LIMIT) for the page, or "" when the page is empty.
func (t *Tx) countMatching(ctx context.Context, s scope, q ListQuery) (string, []any, int, error) {
	where, order, args, err := compileQuery(s, q)
	if err != nil {
		return "", nil, 0, err
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.table()+" WHERE "+where, args...).Scan(&total); err != nil {
		return "", nil, 0, fmt.Errorf("count %s: %w", s.table(), err)
	}
	if q.Limit <= 0 || q.Offset >= total {
		return "", nil, total, nil
	}
	return "WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset), total, nil
}

func compileQuery(s scope, q ListQuery) (where, order string, args []any, err error) {
	c := &compiler{}
	where = "1"
	if q.Filter != nil {
		if where, err = c.expr(q.Filter, s); err != nil {
			return "", "", nil, err
		}
	}
	order = s.table() + ".pk"
	if q.SortBy.Name != "" {
		tg, err := s.resolve(q.SortBy)
		if err != nil {
			return "", "", nil, err
		}
		key := tg.expr
		if tg.multi != nil {
			key = tg.multi.first
		}
		if tg.kind == kindNoCase {
			key += " COLLATE NOCASE"
		}
		order = key + " " + direction(q.Descending) + ", " + order
	} else if q.Descending {
		order += " DESC"
	}
	return where, order, c.args, nil
}

func direction(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// kind says how a SQL expression compares, following the SCIM attribute's
// caseExact and type.
type kind int

const (
	kindExact  kind = iota // caseExact strings (id, externalId)
	kindFold               // pre-folded column (userName, group displayName): fold the value
	kindNoCase             // caseExact=false strings without a folded column
	kindBool
	kindTime // fixed-width timestamps; values are parsed and re-formatted
	kindJSON // a JSON scalar of unknown type
	kindTrue // an attribute every row has with the one possible value
)

// target is what an attribute path compiles to: a scalar SQL expression, or
// for multi-valued attributes an EXISTS over its elements.
type target struct {
	expr  string
	kind  kind
	multi *multi
}

// multi describes a multi-valued attribute: from opens its element rows under
// an alias; elem resolves a sub-attribute of one element.
type multi struct {
	from  func(alias string) string
	elem  func(alias, sub string) target
	first string // expression of the first element's value, for sorting
}

type scope interface {
	table() string
	resolve(p filter.AttrPath) (target, error)
}

type compiler struct {
	args  []any
	alias int
}

func (c *compiler) arg(v any) string { c.args = append(c.args, v); return "?" }

func (c *compiler) expr(e filter.Expr, s scope) (string, error) {
	switch e := e.(type) {
	case *filter.Logical:
		parts := make([]string, len(e.Terms))
		for i, term := range e.Terms {
			p, err := c.expr(term, s)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + p + ")"
		}
		return strings.Join(parts, " "+strings.ToUpper(string(e.Op))+" "), nil
	case *filter.Not:
		x, err := c.expr(e.X, s)
		if err != nil {
			return "", err
		}
		return "NOT (" + x + ")", nil
	case *filter.ValuePath:
		tg, err := s.resolve(e.Path)
		if err != nil {
			return "", err
		}
		if tg.multi == nil {
			return "", fmt.Errorf("%w: %s is not multi-valued", ErrInvalidFilter, e.Path)
		}
		alias := c.newAlias()
		inner, err := c.expr(e.Filter, elemScope{m: tg.multi, alias: alias, outer: s})
		if err != nil {
			return "", err
		}
		return "EXISTS (SELECT 1 FROM " + tg.multi.from(alias) + " AND (" + inner + "))", nil
	case *filter.Compare:
		tg, err := s.resolve(e.Path)
		if err != nil {
			return "", err
		}
		if tg.multi == nil {
			return c.compare(tg, e)
		}
		// A multi-valued attribute matches when any element does; "ne" is
		// "no element equals", so it negates an "eq" EXISTS.
		cmp := *e
		neg := ""
		if e.Op == filter.Ne && e.Value.Kind != filter.Null {
			cmp.Op, neg = filter.Eq, "NOT "
		}
		if e.Op == filter.Present || e.Value.Kind == filter.Null {
			cmp = filter.Compare{Op: filter.Present}
			if e.Op == filter.Eq {
				neg = "NOT "
			}
		}
		alias := c.newAlias()
		inner, err := c.compare(tg.multi.elem(alias, e.Path.Sub), &cmp)
		if err != nil {
			return "", err
		}
		return neg + "EXISTS (SELECT 1 FROM " + tg.multi.from(alias) + " AND (" + inner + "))", nil
	}
	return "", fmt.Errorf("%w: unsupported expression", ErrInvalidFilter)
}

func (c *compiler) newAlias() string { c.alias++; return fmt.Sprintf("m%d", c.alias) }

// elemScope resolves the paths inside a value filter against one element.
type elemScope struct {
	m     *multi
	alias string
	outer scope
}

func (e elemScope) table() string { return e.outer.table() }
func (e elemScope) resolve(p filter.AttrPath) (target, error) {
	if p.URN != "" || p.Sub != "" {
		return target{}, fmt.Errorf("%w: %s is not a sub-attribute", ErrInvalidFilter, p)
	}
	return e.m.elem(e.alias, p.Name), nil
}

// compare compiles one comparison of a scalar target.
func (c *compiler) compare(tg target, e *filter.Compare) (string, error) {
	x := tg.expr
	if tg.kind == kindTrue {
		if e.Op == filter.Present || e.Op == filter.Eq {
			return "1", nil
		}
		return "0", nil
	}
	present := x + " IS NOT NULL AND " + x + " NOT IN ('', '[]', '{}')"
	if tg.kind == kindBool {
		present = "1"
	}
	if e.Op == filter.Present || e.Value.Kind == filter.Null {
		if e.Op == filter.Eq {
			return "NOT (" + present + ")", nil
		}
		if e.Op == filter.Present || e.Op == filter.Ne {
			return present, nil
		}
		return "", fmt.Errorf("%w: %s null is not a comparison", ErrInvalidFilter, e.Op)
	}
	v := e.Value
	if tg.kind == kindBool || v.Kind == filter.Bool {
		b, ok := boolValue(v)
		if !ok || (e.Op != filter.Eq && e.Op != filter.Ne) {
			return "", fmt.Errorf("%w: %s compares a boolean with %s %s", ErrInvalidFilter, e.Path, e.Op, v)
		}
		n := 0
		if b {
			n = 1
		}
		return x + " " + sqlOp(e.Op) + " " + c.arg(n), nil
	}
	if v.Kind == filter.Number {
		if e.Op == filter.Co || e.Op == filter.Sw || e.Op == filter.Ew {
			return "", fmt.Errorf("%w: %s needs a string, got %s", ErrInvalidFilter, e.Op, v)
		}
		return x + " " + sqlOp(e.Op) + " " + c.arg(v.Num), nil
	}
	s := v.Str
	switch tg.kind {
	case kindFold:
		s = FoldName(s)
	case kindTime:
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %q is not an RFC 3339 timestamp", ErrInvalidFilter, e.Path, s)
		}
		s = formatTime(tm)
	}
	noCase := tg.kind == kindNoCase || tg.kind == kindJSON
	switch e.Op {
	case filter.Co, filter.Sw, filter.Ew:
		if noCase {
			pat := escapeLike(s)
			switch e.Op {
			case filter.Co:
				pat = "%" + pat + "%"
			case filter.Sw:
				pat += "%"
			default:
				pat = "%" + pat
			}
			return x + " LIKE " + c.arg(pat) + " ESCAPE '\\'", nil
		}
		switch e.Op {
		case filter.Co:
			return "instr(" + x + ", " + c.arg(s) + ") > 0", nil
		case filter.Sw:
			// A range keeps the prefix search on the column's index.
			return x + " >= " + c.arg(s) + " AND " + x + " < " + c.arg(s+"\U0010FFFF"), nil
		}
		return "substr(" + x + ", " + c.arg(-utf8.RuneCountInString(s)) + ") = " + c.arg(s), nil
	}
	coll := ""
	if noCase {
		coll = " COLLATE NOCASE"
	}
	return x + " " + sqlOp(e.Op) + " " + c.arg(s) + coll, nil
}

func sqlOp(op filter.Op) string {
	switch op {
	case filter.Ne:
		return "<>"
	case filter.Gt:
		return ">"
	case filter.Ge:
		return ">="
	case filter.Lt:
		return "<"
	case filter.Le:
		return "<="
	}
	return "="
}

func boolValue(v filter.Value) (bool, bool) {
	switch v.Kind {
	case filter.Bool:
		return v.Bool, true
	case filter.String:
		switch strings.ToLower(v.Str) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// jsonPath builds a JSON path for attribute names, which the filter parser
// restricts to letters, digits, "-", "_" and "$", so quoting is enough.
func jsonPath(names ...string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, n := range names {
		if n != "" {
			b.WriteString(`."` + n + `"`)
		}
	}
	return b.String()
}
