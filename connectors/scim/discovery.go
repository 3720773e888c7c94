package scim

import (
	"net/http"
	"strings"
)

// The discovery documents of RFC 7644 §4. They describe what this server
// really does: PATCH, filter (with a result cap), sort and ETags; no bulk,
// no password change.

func (s *Server) serviceProviderConfig(base string) map[string]any {
	return map[string]any{
		"schemas":          []string{URNSPConfig},
		"documentationUri": "https://github.com/dirsync/dirsync",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": s.opts.MaxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "The integration's provisioning token, sent as Authorization: Bearer.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

func resourceTypeDoc(rt *resourceType, base string) map[string]any {
	exts := make([]map[string]any, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	doc := map[string]any{
		"schemas":     []string{URNResourceType},
		"id":          rt.Name,
		"name":        rt.Name,
		"endpoint":    rt.Endpoint,
		"description": rt.Core.Description,
		"schema":      rt.Core.ID,
		"meta":        map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.Name},
	}
	if len(exts) > 0 {
		doc["schemaExtensions"] = exts
	}
	return doc
}

func schemaDoc(sc *Schema, base string) map[string]any {
	return map[string]any{
		"schemas":     []string{URNSchema},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  sc.Attributes,
		"meta":        map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + sc.ID},
	}
}

func (s *Server) schemas() []*Schema {
	out := []*Schema{s.users.Core}
	out = append(out, s.users.Extensions...)
	return append(out, s.groups.Core)
}

// discovery serves GET /ServiceProviderConfig, /ResourceTypes[/{id}] and
// /Schemas[/{id}]; every other method is 405.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, rc *request) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(w, http.MethodGet)
	}
	what, id := r.PathValue("what"), r.PathValue("id")
	switch {
	case what == "ServiceProviderConfig" && id == "":
		return s.writeJSON(w, rc, http.StatusOK, s.serviceProviderConfig(rc.base))
	case what == "ResourceTypes":
		var docs []any
		for _, rt := range []*resourceType{s.users, s.groups} {
			d := resourceTypeDoc(rt, rc.base)
			if id != "" && strings.EqualFold(id, rt.Name) {
				return s.writeJSON(w, rc, http.StatusOK, d)
			}
			docs = append(docs, d)
		}
		if id == "" {
			return s.writeJSON(w, rc, http.StatusOK, listResponse(docs, len(docs), 1))
		}
	case what == "Schemas":
		var docs []any
		for _, sc := range s.schemas() {
			d := schemaDoc(sc, rc.base)
			if id != "" && strings.EqualFold(id, sc.ID) {
				return s.writeJSON(w, rc, http.StatusOK, d)
			}
			docs = append(docs, d)
		}
		if id == "" {
			return s.writeJSON(w, rc, http.StatusOK, listResponse(docs, len(docs), 1))
		}
	}
	return &Error{Status: http.StatusNotFound, Detail: "no such resource: " + r.URL.Path}
}
