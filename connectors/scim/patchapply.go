package scim

import (
	"reflect"
	"strings"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

// applyPath applies one operation to the attribute path names. implicit is
// true for keys of a path-less value object, where read-only attributes (the
// id Okta sends along with a group rename) are skipped rather than refused.
func (p *patcher) applyPath(op string, path filter.Path, v any, hasValue, implicit bool) error {
	ext, a, known := p.rt.find(path.Attr.URN, path.Attr.Name)
	name := path.Attr.Name
	if a != nil {
		name = a.Name
	}
	if a != nil && ignoredInBody(a) {
		if implicit || a.Returned == "never" {
			return nil // read-only in a value object, or password: dropped
		}
		return &Error{Status: 400, ScimType: TypeMutability, Detail: "attribute " + quote(path.String()) + " is read-only"}
	}
	if p.members != nil && ext == nil && known && strings.EqualFold(name, "members") {
		return p.memberOp(op, path, v, hasValue)
	}
	// The container holding the attribute: the document, or an extension's
	// (known or not) object under its URN.
	containerKey := ""
	switch {
	case ext != nil:
		containerKey = ext.ID
	case !known:
		containerKey = path.Attr.URN
	}
	c := p.doc
	if containerKey != "" {
		c, _ = p.doc[containerKey].(map[string]any)
		if c == nil {
			c = map[string]any{}
		}
		defer setOrDelete(p.doc, containerKey, c)
	}
	if path.Filter != nil {
		return applyFiltered(c, op, a, name, path, v)
	}
	if path.Attr.Sub != "" {
		return applySub(c, op, a, name, path.Attr.Sub, v)
	}
	return applyWhole(c, op, a, name, v, hasValue)
}

func quote(s string) string { return "\"" + s + "\"" }

// applyWhole handles a path naming a whole attribute.
func applyWhole(c map[string]any, op string, a *Attribute, name string, v any, hasValue bool) error {
	cur := c[name]
	multiValued := a != nil && a.MultiValued || a == nil && isList(cur)
	if op == "remove" {
		if hasValue && v != nil && multiValued {
			// Entra's legacy form: remove THESE values, not all of them.
			remove, err := coerce(a, v, name)
			if err != nil {
				return err
			}
			setOrDelete(c, name, removeValues(asList(cur), asList(remove)))
			return nil
		}
		delete(c, name)
		return nil
	}
	cv, err := coerce(a, v, name)
	if err != nil {
		return err
	}
	switch {
	case isEmpty(cv):
		delete(c, name) // "" or null clears
	case multiValued && op == "add":
		list := asList(cur)
		for _, el := range asList(cv) {
			if !containsEqual(list, el) {
				if isPrimary(el) {
					clearPrimary(list)
				}
				list = append(list, el)
			}
		}
		c[name] = list
	case a != nil && a.Type == "complex" && !a.MultiValued:
		// RFC 7644 §3.5.2.1/3: sub-attributes not given are left unchanged.
		m, _ := cur.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		for k, sv := range cv.(map[string]any) {
			m[k] = sv
		}
		c[name] = m
	default:
		c[name] = cv
	}
	return nil
}

// applySub handles "attr.sub" without a value filter.
func applySub(c map[string]any, op string, a *Attribute, name, sub string, v any) error {
	var sa *Attribute
	if a != nil {
		if a.Type != "complex" {
			return badRequest(TypeInvalidPath, "attribute %q has no sub-attributes", name)
		}
		if sa = a.Sub(sub); sa != nil {
			sub = sa.Name
		}
		if sa != nil && sa.readOnly() {
			return &Error{Status: 400, ScimType: TypeMutability, Detail: "attribute " + quote(name+"."+sub) + " is read-only"}
		}
	}
	cv, err := coerce(sa, v, name+"."+sub)
	if err != nil {
		return err
	}
	if op == "remove" {
		cv = nil
	}
	switch cur := c[name].(type) {
	case []any:
		// A sub-attribute of a multi-valued attribute without a filter means
		// that sub-attribute of every element.
		for _, el := range cur {
			if m, ok := el.(map[string]any); ok {
				setOrDelete(m, sub, cv)
			}
		}
		setOrDelete(c, name, dropEmpty(cur))
	case map[string]any:
		setOrDelete(cur, sub, cv)
		setOrDelete(c, name, cur)
	default:
		if isEmpty(cv) {
			return nil
		}
		el := map[string]any{sub: cv}
		if a != nil && a.MultiValued {
			c[name] = []any{el}
		} else {
			c[name] = el
		}
	}
	return nil
}

// applyFiltered handles "attr[filter]" and "attr[filter].sub".
func applyFiltered(c map[string]any, op string, a *Attribute, name string, path filter.Path, v any) error {
	if a != nil && !a.MultiValued {
		return badRequest(TypeInvalidPath, "attribute %q is not multi-valued; it takes no value filter", name)
	}
	list := asList(c[name])
	var matched []int
	for i, el := range list {
		if m, ok := el.(map[string]any); ok && filter.Match(path.Filter, m) {
			matched = append(matched, i)
		}
	}
	var sa *Attribute
	sub := path.Sub
	if a != nil && sub != "" {
		if sa = a.Sub(sub); sa != nil {
			sub = sa.Name
		}
	}
	if op == "remove" {
		if sub == "" {
			setOrDelete(c, name, removeIndexes(list, matched))
			return nil
		}
		for _, i := range matched {
			delete(list[i].(map[string]any), sub)
		}
		setOrDelete(c, name, dropEmpty(list))
		return nil
	}
	var val any
	var err error
	if sub != "" {
		val, err = coerce(sa, v, name+"."+sub)
	} else {
		val, err = coerceElement(a, v, name)
	}
	if err != nil {
		return err
	}
	if len(matched) == 0 {
		// No element matches: create one from the filter's equalities, as
		// Entra expects for `emails[type eq "work"].value` on a user without
		// a work email. A filter that does not say what to create is noTarget.
		seed, ok := eqTerms(path.Filter)
		if !ok {
			return badRequest(TypeNoTarget, "no value of %q matches %s", name, path.Filter.String())
		}
		el, err := coerceElement(a, seed, name)
		if err != nil {
			return err
		}
		if isEmpty(val) {
			return nil
		}
		list = append(list, el)
		matched = []int{len(list) - 1}
	}
	for _, i := range matched {
		m, ok := list[i].(map[string]any)
		if !ok {
			continue
		}
		if sub != "" {
			setOrDelete(m, sub, val)
		} else if vm, ok := val.(map[string]any); ok {
			for k, sv := range vm {
				m[k] = sv
			}
		}
		if isPrimary(m) {
			for j, el := range list {
				if j != i {
					if om, ok := el.(map[string]any); ok {
						delete(om, "primary")
					}
				}
			}
		}
	}
	setOrDelete(c, name, dropEmpty(list))
	return nil
}

// coerceElement coerces one element of a multi-valued attribute; it must be
// an object (or, for unknown attributes, anything).
func coerceElement(a *Attribute, v any, name string) (any, error) {
	if a == nil {
		return v, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, badRequest(TypeInvalidValue, "value for %q must be an object", name)
	}
	return coerceOne(a, v, name)
}

// eqTerms collects `sub eq value` terms joined by "and" into an element.
func eqTerms(e filter.Expr) (map[string]any, bool) {
	switch e := e.(type) {
	case *filter.Compare:
		if e.Op != filter.Eq || e.Path.URN != "" || e.Path.Sub != "" || e.Value.Kind == filter.Null {
			return nil, false
		}
		return map[string]any{e.Path.Name: e.Value.Any()}, true
	case *filter.Logical:
		if e.Op != filter.And {
			return nil, false
		}
		out := map[string]any{}
		for _, t := range e.Terms {
			m, ok := eqTerms(t)
			if !ok {
				return nil, false
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, true
	}
	return nil, false
}

func isList(v any) bool { _, ok := v.([]any); return ok }

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func isPrimary(v any) bool {
	m, _ := v.(map[string]any)
	b, _ := m["primary"].(bool)
	return b
}

func clearPrimary(list []any) {
	for _, el := range list {
		if m, ok := el.(map[string]any); ok {
			delete(m, "primary")
		}
	}
}

func containsEqual(list []any, v any) bool {
	for _, el := range list {
		if reflect.DeepEqual(el, v) {
			return true
		}
	}
	return false
}

// sameValue reports whether two elements denote the same value: by their
// "value" sub-attribute when both have one, else by deep equality.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, _ := filter.Get(am, "value")
		bv, _ := filter.Get(bm, "value")
		as, aIs := av.(string)
		bs, bIs := bv.(string)
		if aIs && bIs {
			return strings.EqualFold(as, bs)
		}
	}
	return reflect.DeepEqual(a, b)
}

func removeValues(list, remove []any) []any {
	out := make([]any, 0, len(list))
	for _, el := range list {
		drop := false
		for _, r := range remove {
			if sameValue(el, r) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, el)
		}
	}
	return out
}

func removeIndexes(list []any, idx []int) []any {
	drop := map[int]bool{}
	for _, i := range idx {
		drop[i] = true
	}
	out := make([]any, 0, len(list))
	for i, el := range list {
		if !drop[i] {
			out = append(out, el)
		}
	}
	return out
}

// dropEmpty removes elements left empty by a sub-attribute removal.
func dropEmpty(list []any) []any {
	out := list[:0:0]
	for _, el := range list {
		if !isEmpty(el) {
			out = append(out, el)
		}
	}
	return out
}
