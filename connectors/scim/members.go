package scim

import (
	"strings"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

// memberOp turns a PATCH operation on a group's members into a MemberOp.
//
// The one trap here is Entra's default removal,
// {"op":"Remove","path":"members","value":[{"value":"id"}]}: it means
// "remove these members". Only a remove with no value at all clears the
// group; reading the RFC strictly and dropping everyone is a known bug in
// other SCIM servers that empties groups in production.
func (p *patcher) memberOp(op string, path filter.Path, v any, hasValue bool) error {
	if path.Attr.Sub != "" || path.Sub != "" {
		return badRequest(TypeInvalidPath, "members sub-attributes cannot be patched: %s", path.String())
	}
	if path.Filter != nil {
		if op != "remove" {
			return badRequest(TypeInvalidPath, "%s with a members value filter is not supported; use add or remove", op)
		}
		ids, ok := filterIDs(path.Filter)
		if !ok {
			return badRequest(TypeInvalidFilter, "members filters must be value eq \"id\" terms joined by or, got %s", path.Filter.String())
		}
		p.add(RemoveMembers, ids)
		return nil
	}
	if op == "remove" && (!hasValue || v == nil) {
		p.add(ReplaceMembers, nil)
		return nil
	}
	ids, err := valueIDs(v)
	if err != nil {
		return err
	}
	switch op {
	case "add":
		p.add(AddMembers, ids)
	case "remove":
		p.add(RemoveMembers, ids)
	default:
		p.add(ReplaceMembers, ids)
	}
	return nil
}

func (p *patcher) add(kind MemberOpKind, ids []string) {
	if kind != ReplaceMembers && len(ids) == 0 {
		return
	}
	*p.members = append(*p.members, MemberOp{Kind: kind, IDs: ids})
}

// valueIDs reads member ids from a PATCH or body value: a list of
// {"value": id, ...} objects, one such object, or bare id strings.
func valueIDs(v any) ([]string, error) {
	var ids []string
	for i, el := range asList(v) {
		switch el := el.(type) {
		case string:
			if el != "" {
				ids = append(ids, el)
			}
			continue
		case map[string]any:
			id, _ := filter.Get(el, "value")
			if s, ok := id.(string); ok && strings.TrimSpace(s) != "" {
				ids = append(ids, s)
				continue
			}
		}
		return nil, badRequest(TypeInvalidValue, "members[%d] must have a string \"value\" (the member id)", i)
	}
	return ids, nil
}

// filterIDs reads ids from `value eq "a" or value eq "b"`.
func filterIDs(e filter.Expr) ([]string, bool) {
	switch e := e.(type) {
	case *filter.Compare:
		if e.Op == filter.Eq && e.Path.URN == "" && e.Path.Sub == "" &&
			strings.EqualFold(e.Path.Name, "value") && e.Value.Kind == filter.String {
			return []string{e.Value.Str}, true
		}
	case *filter.Logical:
		if e.Op != filter.Or {
			return nil, false
		}
		var ids []string
		for _, t := range e.Terms {
			sub, ok := filterIDs(t)
			if !ok {
				return nil, false
			}
			ids = append(ids, sub...)
		}
		return ids, true
	}
	return nil, false
}
