package msgraph

import (
	"context"
	"errors"
	"strconv"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/dirsync/dirsync/connectors"
)

// userRound is one pass over users/delta(): the initial round lists every
// user, a later round only what changed since its delta link.
type userRound struct {
	users   []connectors.User // initial round: every live user, mapped
	changed []string          // later round: live users that changed
	removed []string          // later round: soft- or hard-deleted users
	link    string            // delta link for the next round
}

// deltaHeaders asks for large delta pages: delta queries ignore $top.
func (s *source) deltaHeaders() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", "odata.maxpagesize="+strconv.Itoa(int(s.cfg.pageSize())))
	return h
}

// readUsers runs a users delta round from link, or an initial round when
// link is "".
func (s *source) readUsers(ctx context.Context, link string) (*userRound, error) {
	hdr := s.deltaHeaders()
	var resp users.DeltaGetResponseable
	var err error
	if link == "" {
		resp, err = s.client.Users().Delta().GetAsDeltaGetResponse(ctx, &users.DeltaRequestBuilderGetRequestConfiguration{
			Headers: hdr,
			QueryParameters: &users.DeltaRequestBuilderGetQueryParameters{
				Select: s.cfg.userSelect(),
				Expand: s.cfg.userExpand(),
			},
		})
	} else {
		// A builder made WithUrl is single-use: one per round.
		resp, err = s.client.Users().Delta().WithUrl(link).GetAsDeltaGetResponse(ctx,
			&users.DeltaRequestBuilderGetRequestConfiguration{Headers: hdr})
	}
	if err != nil {
		return nil, expiredIf(link != "", wrap("users delta", err))
	}
	pi, err := msgraphcore.NewPageIterator[models.Userable](resp, s.adapter, users.CreateDeltaGetResponseFromDiscriminatorValue)
	if err != nil {
		return nil, wrap("users delta", err)
	}
	pi.SetHeaders(hdr)
	r := &userRound{}
	err = pi.Iterate(ctx, func(u models.Userable) bool {
		id := str(u.GetId())
		if _, gone := removedReason(u.GetAdditionalData()); gone {
			// "changed" (soft delete, restorable) and "deleted" alike leave
			// scope; the pull deactivates and never hard-deletes.
			r.removed = append(r.removed, id)
			return true
		}
		if link == "" {
			r.users = append(r.users, s.cfg.mapUser(u))
		} else {
			r.changed = append(r.changed, id)
		}
		return true
	})
	if err != nil {
		return nil, expiredIf(link != "", wrap("users delta page", err))
	}
	if r.link = str(pi.GetOdataDeltaLink()); r.link == "" {
		return nil, errors.New("users delta: last page has no @odata.deltaLink")
	}
	return r, nil
}

// graphGroup is a group as the group delta reports it.
type graphGroup struct {
	name          *string
	users, groups []string // direct members by type
	memberDelta   bool     // a later round carried members@delta
}

// groupRound is one pass over groups/delta() with members.
type groupRound struct {
	groups  map[string]*graphGroup
	order   []string
	removed []string
	link    string
}

func (s *source) readGroups(ctx context.Context, link string) (*groupRound, error) {
	hdr := s.deltaHeaders()
	var resp groups.DeltaGetResponseable
	var err error
	if link == "" {
		resp, err = s.client.Groups().Delta().GetAsDeltaGetResponse(ctx, &groups.DeltaRequestBuilderGetRequestConfiguration{
			Headers: hdr,
			QueryParameters: &groups.DeltaRequestBuilderGetQueryParameters{
				Select: []string{"id", "displayName", "members"},
			},
		})
	} else {
		resp, err = s.client.Groups().Delta().WithUrl(link).GetAsDeltaGetResponse(ctx,
			&groups.DeltaRequestBuilderGetRequestConfiguration{Headers: hdr})
	}
	if err != nil {
		return nil, expiredIf(link != "", wrap("groups delta", err))
	}
	pi, err := msgraphcore.NewPageIterator[models.Groupable](resp, s.adapter, groups.CreateDeltaGetResponseFromDiscriminatorValue)
	if err != nil {
		return nil, wrap("groups delta", err)
	}
	pi.SetHeaders(hdr)
	r := &groupRound{groups: map[string]*graphGroup{}}
	err = pi.Iterate(ctx, func(g models.Groupable) bool {
		id := str(g.GetId())
		ad := g.GetAdditionalData()
		if _, gone := removedReason(ad); gone {
			r.removed = append(r.removed, id)
			return true
		}
		gg, ok := r.groups[id]
		if !ok {
			gg = &graphGroup{}
			r.groups[id] = gg
			r.order = append(r.order, id)
		}
		if n := g.GetDisplayName(); n != nil {
			gg.name = n
		}
		// Graph may split a large group's members over several items in
		// different pages: accumulate.
		if md, ok := ad["members@delta"].([]any); ok {
			gg.memberDelta = true
			for _, item := range md {
				m, _ := item.(map[string]any)
				if _, gone := removedReason(m); gone {
					continue // later rounds re-read the full member list
				}
				mid := rawString(m["id"])
				switch rawString(m["@odata.type"]) {
				case "#microsoft.graph.user":
					gg.users = append(gg.users, mid)
				case "#microsoft.graph.group":
					gg.groups = append(gg.groups, mid)
				}
			}
		}
		return true
	})
	if err != nil {
		return nil, expiredIf(link != "", wrap("groups delta page", err))
	}
	if r.link = str(pi.GetOdataDeltaLink()); r.link == "" {
		return nil, errors.New("groups delta: last page has no @odata.deltaLink")
	}
	return r, nil
}

// expiredIf marks err as an expired cursor when it came from following a
// stored delta link.
func expiredIf(following bool, err error) error {
	if following {
		return expired(err)
	}
	return err
}
