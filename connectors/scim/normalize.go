package scim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// A document is a resource as a case-normalised JSON object: known
// attributes under their canonical names with values of their schema type,
// extension attributes under their schema URN key, unknown attributes as sent.
// Absent and cleared are the same thing: a document never holds null or "".
type document = map[string]any

// decodeObject parses a request body as one JSON object, keeping numbers
// exact-ish (float64 is fine for SCIM) and rejecting trailing data.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest(TypeInvalidSyntax, "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, badRequest(TypeInvalidSyntax, "request body has data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest(TypeInvalidSyntax, "request body must be a JSON object")
	}
	return m, nil
}

// normalize canonicalises a request body (POST, PUT) into a document.
// Read-only attributes are kept here and dropped when the document is turned
// into a store record, so a client echoing id or meta back is not rejected.
func (rt *resourceType) normalize(in map[string]any) (document, error) {
	out := document{}
	for k, v := range in {
		if err := rt.setKey(out, k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setKey stores one body key into doc, resolving schema URN prefixes.
func (rt *resourceType) setKey(doc document, key string, v any) error {
	if strings.EqualFold(key, rt.Core.ID) {
		// Core attributes nested under their own schema URN.
		m, ok := v.(map[string]any)
		if !ok {
			return badRequest(TypeInvalidValue, "%s must be an object", key)
		}
		for k, sv := range m {
			if err := rt.setKey(doc, k, sv); err != nil {
				return err
			}
		}
		return nil
	}
	if ext := rt.extension(key); ext != nil {
		m, ok := v.(map[string]any)
		if v != nil && !ok {
			return badRequest(TypeInvalidValue, "%s must be an object", ext.ID)
		}
		for k, sv := range m {
			if err := rt.setExt(doc, ext, k, sv); err != nil {
				return err
			}
		}
		return nil
	}
	if i := strings.LastIndexByte(key, ':'); i > 0 && hasURNPrefix(key) {
		// A flattened "urn:...:User:employeeNumber" key.
		if ext := rt.extension(key[:i]); ext != nil {
			return rt.setExt(doc, ext, key[i+1:], v)
		}
		if strings.EqualFold(key[:i], rt.Core.ID) {
			return rt.setKey(doc, key[i+1:], v)
		}
	}
	ext, a, _ := rt.find("", key)
	if ext != nil {
		return rt.setExt(doc, ext, key, v)
	}
	name := key
	if a != nil {
		if ignoredInBody(a) {
			return nil
		}
		name = a.Name
	}
	cv, err := coerce(a, v, name)
	if err != nil {
		return err
	}
	setOrDelete(doc, name, cv)
	return nil
}

func (rt *resourceType) setExt(doc document, ext *Schema, key string, v any) error {
	a := ext.Attr(key)
	name := key
	if a != nil {
		if ignoredInBody(a) {
			return nil
		}
		name = a.Name
	}
	cv, err := coerce(a, v, ext.ID+":"+name)
	if err != nil {
		return err
	}
	m, _ := doc[ext.ID].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	setOrDelete(m, name, cv)
	setOrDelete(doc, ext.ID, m)
	return nil
}

// ignoredInBody reports whether a body attribute is dropped on input:
// read-only ones (id, meta, groups: RFC 7644 §3.5.1 says ignore them),
// schemas (we render our own) and write-only ones (password is never stored).
func ignoredInBody(a *Attribute) bool {
	return a.readOnly() || a.Returned == "never" || a.Name == "schemas"
}

func hasURNPrefix(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }

// setOrDelete sets m[key] = v, or deletes the key when v is empty, so that
// documents never carry null or "" (both mean "clear").
func setOrDelete(m map[string]any, key string, v any) {
	if isEmpty(v) {
		delete(m, key)
		return
	}
	m[key] = v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// coerce converts v to attribute a's type, accepting the IdPs' quirks:
// "True"/"False" for booleans, a single object where a list is due, a plain
// string for a complex attribute (taken as its "value"). A nil a (unknown
// attribute) passes v through. name is the attribute path for errors.
func coerce(a *Attribute, v any, name string) (any, error) {
	if a == nil || v == nil {
		return v, nil
	}
	if !a.MultiValued {
		return coerceOne(a, v, name)
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, el := range list {
		cv, err := coerceOne(a, el, name)
		if err != nil {
			return nil, err
		}
		if !isEmpty(cv) {
			out = append(out, cv)
		}
	}
	return out, nil
}

func coerceOne(a *Attribute, v any, name string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case "complex":
		if list, ok := v.([]any); ok && len(list) <= 1 {
			// Entra sends manager as a one-element list.
			if len(list) == 0 {
				return nil, nil
			}
			v = list[0]
		}
		switch v := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, sv := range v {
				sub := a.Sub(k)
				key := k
				if sub != nil {
					key = sub.Name
				}
				cv, err := coerce(sub, sv, name+"."+key)
				if err != nil {
					return nil, err
				}
				setOrDelete(out, key, cv)
			}
			return out, nil
		case string:
			if a.Sub("value") != nil {
				return coerceOne(a, map[string]any{"value": v}, name)
			}
		}
		return nil, badRequest(TypeInvalidValue, "attribute %q must be an object", name)
	case "boolean":
		switch v := v.(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v))); err == nil {
				return b, nil
			}
		}
		return nil, badRequest(TypeInvalidValue, "attribute %q must be a boolean, got %s", name, brief(v))
	case "integer", "decimal":
		switch v := v.(type) {
		case float64:
			return v, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f, nil
			}
		}
		return nil, badRequest(TypeInvalidValue, "attribute %q must be a number, got %s", name, brief(v))
	default: // string, reference, dateTime, binary
		switch v := v.(type) {
		case string:
			return v, nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(v), nil
		}
		return nil, badRequest(TypeInvalidValue, "attribute %q must be a string, got %s", name, brief(v))
	}
}

// brief renders a rejected value for an error message, shortened.
func brief(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
