package scim

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/dirsync/dirsync/connectors/scim/filter"
	"github.com/dirsync/dirsync/store"
)

// listResponse is RFC 7644 §3.4.2's ListResponse. The counters are JSON
// integers and Resources is [] (never null) when nothing matched: Okta's
// and Entra's parsers both depend on that.
func listResponse(resources []any, total, startIndex int) map[string]any {
	if resources == nil {
		resources = []any{}
	}
	return map[string]any{
		"schemas":      []string{URNListResponse},
		"totalResults": total,
		"startIndex":   startIndex,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}

// listParams are a list request's query parameters, validated.
type listParams struct {
	query      store.ListQuery
	startIndex int
	proj       projection
}

// parseList reads filter, startIndex, count, sortBy, sortOrder, attributes
// and excludedAttributes. Parameter names are case-insensitive in practice.
func (s *Server) parseList(q url.Values) (*listParams, error) {
	get := func(name string) string {
		for k, v := range q {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	lp := &listParams{startIndex: 1}
	lp.query.Limit = s.opts.DefaultCount
	if v := get("startIndex"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, badRequest(TypeInvalidValue, "startIndex must be an integer, got %q", v)
		}
		lp.startIndex = max(n, 1) // RFC 7644 §3.4.2.4: less than 1 means 1
	}
	if v := get("count"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, badRequest(TypeInvalidValue, "count must be an integer, got %q", v)
		}
		lp.query.Limit = min(max(n, 0), s.opts.MaxCount)
	}
	lp.query.Offset = lp.startIndex - 1
	if v := get("filter"); strings.TrimSpace(v) != "" {
		e, err := filter.Parse(v, s.opts.Filter)
		if err != nil {
			return nil, badRequest(TypeInvalidFilter, "filter: %v", err)
		}
		lp.query.Filter = e
	}
	if v := get("sortBy"); v != "" {
		p, err := filter.ParsePath(v, s.opts.Filter)
		if err != nil || p.Filter != nil {
			return nil, badRequest(TypeInvalidValue, "sortBy must be an attribute path, got %q", v)
		}
		lp.query.SortBy = p.Attr
	}
	switch strings.ToLower(get("sortOrder")) {
	case "", "ascending":
	case "descending":
		lp.query.Descending = true
	default:
		return nil, badRequest(TypeInvalidValue, "sortOrder must be ascending or descending")
	}
	var err error
	if lp.proj, err = parseProjection(get("attributes"), get("excludedAttributes")); err != nil {
		return nil, err
	}
	return lp, nil
}

// projection implements attributes / excludedAttributes (RFC 7644 §3.9) on a
// rendered document. id and schemas are always returned.
type projection struct {
	include, exclude []filter.AttrPath
}

func parseProjection(include, exclude string) (projection, error) {
	var p projection
	for _, part := range []struct {
		raw string
		out *[]filter.AttrPath
	}{{include, &p.include}, {exclude, &p.exclude}} {
		for _, a := range strings.Split(part.raw, ",") {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			path, err := filter.ParsePath(a, filter.Limits{})
			if err != nil || path.Filter != nil {
				return p, badRequest(TypeInvalidValue, "invalid attribute %q in attributes or excludedAttributes", a)
			}
			*part.out = append(*part.out, path.Attr)
		}
	}
	return p, nil
}

// wants reports whether the top-level attribute name survives projection,
// so that expensive attributes (members, groups) need not be loaded at all.
func (p projection) wants(name string) bool {
	for _, a := range p.exclude {
		if a.URN == "" && a.Sub == "" && strings.EqualFold(a.Name, name) {
			return false
		}
	}
	if len(p.include) == 0 {
		return true
	}
	for _, a := range p.include {
		if a.URN == "" && strings.EqualFold(a.Name, name) {
			return true
		}
	}
	return false
}

func (p projection) apply(doc document) document {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return doc
	}
	if len(p.include) > 0 {
		out := document{"id": doc["id"], "schemas": doc["schemas"]}
		for _, a := range p.include {
			copyPath(out, doc, a)
		}
		doc = out
	}
	for _, a := range p.exclude {
		if a.URN == "" && (strings.EqualFold(a.Name, "id") || strings.EqualFold(a.Name, "schemas")) {
			continue
		}
		removePath(doc, a)
	}
	return doc
}

// container finds the object a path's attribute lives in: the document or
// an extension object keyed by its URN.
func container(doc document, a filter.AttrPath) (map[string]any, string) {
	if a.URN == "" {
		return doc, ""
	}
	for k, v := range doc {
		if strings.EqualFold(k, a.URN) {
			m, _ := v.(map[string]any)
			return m, k
		}
	}
	return nil, ""
}

func keyFold(m map[string]any, name string) (string, bool) {
	for k := range m {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func copyPath(dst, src document, a filter.AttrPath) {
	if a.Name == "" {
		return
	}
	c, ck := container(src, a)
	if a.URN != "" && c == nil {
		// The path may name a whole extension: "urn:...:enterprise:2.0:User"
		// parses as URN "urn:...:2.0" and attribute "User".
		if k, ok := keyFold(src, a.URN+":"+a.Name); ok {
			dst[k] = src[k]
		}
		return
	}
	k, ok := keyFold(c, a.Name)
	if !ok {
		return
	}
	target := dst
	if ck != "" {
		m, _ := dst[ck].(map[string]any)
		if m == nil {
			m = map[string]any{}
			dst[ck] = m
		}
		target = m
	}
	v := c[k]
	if a.Sub == "" {
		target[k] = v
		return
	}
	switch v := v.(type) {
	case map[string]any:
		if sk, ok := keyFold(v, a.Sub); ok {
			m, _ := target[k].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m[sk] = v[sk]
			target[k] = m
		}
	case []any:
		var out []any
		for _, el := range v {
			if em, ok := el.(map[string]any); ok {
				if sk, ok := keyFold(em, a.Sub); ok {
					out = append(out, map[string]any{sk: em[sk]})
				}
			}
		}
		if len(out) > 0 {
			target[k] = out
		}
	}
}

func removePath(doc document, a filter.AttrPath) {
	c, _ := container(doc, a)
	if a.URN != "" && c == nil {
		if k, ok := keyFold(doc, a.URN+":"+a.Name); ok {
			delete(doc, k)
		}
		return
	}
	k, ok := keyFold(c, a.Name)
	if !ok {
		return
	}
	if a.Sub == "" {
		delete(c, k)
		return
	}
	switch v := c[k].(type) {
	case map[string]any:
		if sk, ok := keyFold(v, a.Sub); ok {
			delete(v, sk)
		}
	case []any:
		for _, el := range v {
			if em, ok := el.(map[string]any); ok {
				if sk, ok := keyFold(em, a.Sub); ok {
					delete(em, sk)
				}
			}
		}
	}
}
