package scim

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

// patchOp is one normalised PATCH operation.
type patchOp struct {
	// Op is "add", "remove" or "replace", lower-cased (Entra capitalises).
	Op string
	// Path is nil when the operation has none.
	Path *filter.Path
	// Value is the decoded JSON value; HasValue tells absent from null.
	Value    any
	HasValue bool
}

// MemberOpKind says what a membership operation does.
type MemberOpKind int

// The membership operations a group PATCH or PUT turns into.
const (
	// AddMembers adds the named users, leaving every other member alone.
	AddMembers MemberOpKind = iota
	// RemoveMembers removes the named users, leaving every other member alone.
	RemoveMembers
	// ReplaceMembers makes the named users the exact membership; with no ids
	// it removes every member.
	ReplaceMembers
)

// MemberOp is one membership change, applied to the store in order. Edits
// name the members they touch, so two concurrent PATCHes that add different
// members to one group both take effect.
type MemberOp struct {
	Kind MemberOpKind
	IDs  []string
}

// parsePatch decodes a PatchOp body. Keys are matched case-insensitively and
// op names lower-cased; paths are parsed here so that a bad path fails the
// request before anything is applied.
func parsePatch(body []byte, lim filter.Limits) ([]patchOp, error) {
	m, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if s, ok := filter.Get(m, "schemas"); ok && !containsFold(s, URNPatchOp) {
		return nil, badRequest(TypeInvalidSyntax, "schemas must contain %s", URNPatchOp)
	}
	raw, ok := filter.Get(m, "Operations")
	if !ok {
		return nil, badRequest(TypeInvalidSyntax, "request body has no Operations")
	}
	list, ok := raw.([]any)
	if !ok && raw != nil {
		return nil, badRequest(TypeInvalidSyntax, "Operations must be an array")
	}
	ops := make([]patchOp, 0, len(list))
	for i, el := range list {
		om, ok := el.(map[string]any)
		if !ok {
			return nil, badRequest(TypeInvalidSyntax, "Operations[%d] must be an object", i)
		}
		var op patchOp
		name, _ := filter.Get(om, "op")
		s, _ := name.(string)
		op.Op = strings.ToLower(strings.TrimSpace(s))
		if op.Op != "add" && op.Op != "remove" && op.Op != "replace" {
			return nil, badRequest(TypeInvalidSyntax, "Operations[%d].op must be add, remove or replace, got %s", i, brief(name))
		}
		if p, ok := filter.Get(om, "path"); ok && p != nil {
			ps, isStr := p.(string)
			if !isStr {
				return nil, badRequest(TypeInvalidPath, "Operations[%d].path must be a string", i)
			}
			if strings.TrimSpace(ps) != "" {
				path, err := filter.ParsePath(ps, lim)
				if err != nil {
					return nil, badRequest(TypeInvalidPath, "Operations[%d].path: %v", i, err)
				}
				op.Path = &path
			}
		}
		op.Value, op.HasValue = filter.Get(om, "value")
		ops = append(ops, op)
	}
	return ops, nil
}

func containsFold(v any, want string) bool {
	list, _ := v.([]any)
	for _, el := range list {
		if s, ok := el.(string); ok && strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

// patcher applies operations to one document.
type patcher struct {
	rt  *resourceType
	doc document
	// members collects membership operations; nil means the resource has no
	// members attribute (users), where "members" is just an unknown name.
	members *[]MemberOp
	lim     filter.Limits
}

// applyPatch applies ops to doc in order. For groups (members non-nil) it
// turns every members operation into a MemberOp instead of editing doc.
func (rt *resourceType) applyPatch(doc document, ops []patchOp, members *[]MemberOp, lim filter.Limits) error {
	p := &patcher{rt: rt, doc: doc, members: members, lim: lim}
	for i, op := range ops {
		var err error
		if op.Path == nil {
			err = p.applyPathless(op)
		} else {
			err = p.applyPath(op.Op, *op.Path, op.Value, op.HasValue, false)
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Detail = "Operations[" + strconv.Itoa(i) + "]: " + e.Detail
			}
			return err
		}
	}
	return nil
}

// applyPathless handles add/replace without a path: the value's keys are
// attributes or, as Entra sends them, attribute paths and full-URN paths.
func (p *patcher) applyPathless(op patchOp) error {
	if op.Op == "remove" {
		return badRequest(TypeNoTarget, "remove requires a path")
	}
	m, ok := op.Value.(map[string]any)
	if !ok {
		return badRequest(TypeInvalidValue, "value must be an object when path is absent")
	}
	return p.applyKeys(op.Op, m)
}

func (p *patcher) applyKeys(op string, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // "name" before "name.givenName": a deterministic result
	for _, k := range keys {
		v := m[k]
		if strings.EqualFold(k, p.rt.Core.ID) {
			sub, ok := v.(map[string]any)
			if !ok {
				return badRequest(TypeInvalidValue, "%s must be an object", k)
			}
			if err := p.applyKeys(op, sub); err != nil {
				return err
			}
			continue
		}
		if ext := p.rt.extension(k); ext != nil {
			sub, ok := v.(map[string]any)
			if !ok && v != nil {
				return badRequest(TypeInvalidValue, "%s must be an object", ext.ID)
			}
			for _, sk := range sortedKeys(sub) {
				path, err := filter.ParsePath(sk, p.lim)
				if err != nil || path.Attr.URN != "" {
					return badRequest(TypeInvalidPath, "invalid attribute %q in %s", sk, ext.ID)
				}
				path.Attr.URN = ext.ID
				if err := p.applyPath(op, path, sub[sk], true, true); err != nil {
					return err
				}
			}
			continue
		}
		path, err := filter.ParsePath(k, p.lim)
		if err != nil {
			return badRequest(TypeInvalidPath, "value key %q: %v", k, err)
		}
		if err := p.applyPath(op, path, v, true, true); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
