package scim

import "strings"

// Attribute is an RFC 7643 §7 attribute definition. The same values drive
// request normalisation (canonical names, types, mutability) and the /Schemas
// documents, so what we advertise is what we enforce.
type Attribute struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description,omitempty"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Schema is an RFC 7643 §7 schema definition.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
}

// Sub finds a sub-attribute by name, case-insensitively.
func (a *Attribute) Sub(name string) *Attribute { return findAttr(a.SubAttributes, name) }

func (a *Attribute) readOnly() bool { return a.Mutability == "readOnly" }

// Attr finds a top-level attribute by name, case-insensitively.
func (s *Schema) Attr(name string) *Attribute { return findAttr(s.Attributes, name) }

func findAttr(list []*Attribute, name string) *Attribute {
	for _, a := range list {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// attr builds a single-valued, read-write, non-unique string attribute;
// the option functions adjust it.
func attr(name, typ string, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{Name: name, Type: typ, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func multi(a *Attribute)     { a.MultiValued = true }
func required(a *Attribute)  { a.Required = true }
func caseExact(a *Attribute) { a.CaseExact = true }
func readOnly(a *Attribute)  { a.Mutability = "readOnly" }
func unique(a *Attribute)    { a.Uniqueness = "server" }
func always(a *Attribute)    { a.Returned = "always" }
func never(a *Attribute) {
	a.Mutability, a.Returned = "writeOnly", "never"
}
func desc(d string) func(*Attribute) { return func(a *Attribute) { a.Description = d } }
func subs(s ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.SubAttributes = s }
}
func refs(r ...string) func(*Attribute) { return func(a *Attribute) { a.ReferenceTypes = r } }

// multiSubs is the value/display/type/primary shape shared by emails,
// phoneNumbers, ims, photos and the like.
func multiSubs(valueType string) func(*Attribute) {
	return subs(attr("value", valueType), attr("display", "string"), attr("type", "string"),
		attr("primary", "boolean"))
}

// memberSubs is the shape of group members and of a user's groups.
func memberSubs(ro bool) func(*Attribute) {
	mod := func(*Attribute) {}
	if ro {
		mod = readOnly
	}
	return subs(attr("value", "string", caseExact, mod), attr("$ref", "reference", refs("User", "Group"), mod),
		attr("display", "string", mod), attr("type", "string", mod))
}

// commonAttrs are RFC 7643 §3.1 attributes of every resource; they are not
// part of any schema document.
var commonAttrs = []*Attribute{
	attr("id", "string", caseExact, readOnly, always, unique),
	attr("externalId", "string", caseExact),
	attr("meta", "complex", readOnly, subs(attr("resourceType", "string", readOnly),
		attr("created", "dateTime", readOnly), attr("lastModified", "dateTime", readOnly),
		attr("location", "reference", readOnly), attr("version", "string", readOnly))),
	attr("schemas", "reference", multi),
}

func newUserSchema() *Schema {
	return &Schema{ID: URNUser, Name: "User", Description: "User Account", Attributes: []*Attribute{
		attr("userName", "string", required, unique, desc("Unique identifier for the user, case-insensitive.")),
		attr("name", "complex", subs(attr("formatted", "string"), attr("familyName", "string"),
			attr("givenName", "string"), attr("middleName", "string"), attr("honorificPrefix", "string"),
			attr("honorificSuffix", "string"))),
		attr("displayName", "string"),
		attr("nickName", "string"),
		attr("profileUrl", "reference", refs("external")),
		attr("title", "string"),
		attr("userType", "string"),
		attr("preferredLanguage", "string"),
		attr("locale", "string"),
		attr("timezone", "string"),
		attr("active", "boolean"),
		attr("password", "string", never, desc("Accepted and discarded: dirsync never stores passwords.")),
		attr("emails", "complex", multi, multiSubs("string")),
		attr("phoneNumbers", "complex", multi, multiSubs("string")),
		attr("ims", "complex", multi, multiSubs("string")),
		attr("photos", "complex", multi, multiSubs("reference")),
		attr("addresses", "complex", multi, subs(attr("formatted", "string"), attr("streetAddress", "string"),
			attr("locality", "string"), attr("region", "string"), attr("postalCode", "string"),
			attr("country", "string"), attr("type", "string"), attr("primary", "boolean"))),
		attr("groups", "complex", multi, readOnly, memberSubs(true)),
		attr("entitlements", "complex", multi, multiSubs("string")),
		attr("roles", "complex", multi, multiSubs("string")),
		attr("x509Certificates", "complex", multi, multiSubs("binary")),
	}}
}

func newEnterpriseSchema() *Schema {
	return &Schema{ID: URNEnterprise, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []*Attribute{
		attr("employeeNumber", "string"),
		attr("costCenter", "string"),
		attr("organization", "string"),
		attr("division", "string"),
		attr("department", "string"),
		attr("manager", "complex", subs(attr("value", "string", caseExact),
			attr("$ref", "reference", refs("User")), attr("displayName", "string", readOnly))),
	}}
}

func newGroupSchema() *Schema {
	return &Schema{ID: URNGroup, Name: "Group", Description: "Group", Attributes: []*Attribute{
		attr("displayName", "string", required, unique),
		attr("members", "complex", multi, memberSubs(false)),
	}}
}

// resourceType ties a resource's core schema to its extensions.
type resourceType struct {
	Name       string
	Endpoint   string
	Core       *Schema
	Extensions []*Schema
}

// find resolves a top-level attribute in the core schema, the common
// attributes, or, with a URN, an extension. ext is the extension schema the
// attribute lives in (nil for core); unknown names return a nil attribute.
func (rt *resourceType) find(urn, name string) (ext *Schema, a *Attribute, known bool) {
	if urn == "" || strings.EqualFold(urn, rt.Core.ID) {
		if a := rt.Core.Attr(name); a != nil {
			return nil, a, true
		}
		if a := findAttr(commonAttrs, name); a != nil || urn != "" {
			return nil, a, true
		}
		// Entra sends some extension attributes without their URN
		// ("path":"manager"); a name no core attribute has resolves to the
		// extension that defines it.
		for _, e := range rt.Extensions {
			if a := e.Attr(name); a != nil {
				return e, a, true
			}
		}
		return nil, nil, true
	}
	for _, e := range rt.Extensions {
		if strings.EqualFold(urn, e.ID) {
			return e, e.Attr(name), true
		}
	}
	return nil, nil, false
}

// extension returns the extension schema whose id is urn, or nil.
func (rt *resourceType) extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(urn, e.ID) {
			return e
		}
	}
	return nil
}

// The resource types are built per Server (no package-level mutable state).
func newUserType() *resourceType {
	return &resourceType{Name: "User", Endpoint: "/Users", Core: newUserSchema(), Extensions: []*Schema{newEnterpriseSchema()}}
}

func newGroupType() *resourceType {
	return &resourceType{Name: "Group", Endpoint: "/Groups", Core: newGroupSchema()}
}
