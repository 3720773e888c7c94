package main

import (
	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph"
	"github.com/dirsync/dirsync/connectors/okta"
)

// sourceTypes is the explicit map of source type labels to connector
// settings; adding an IdP means adding a line here.
func sourceTypes() config.Types {
	return config.Types{
		"okta":  func() connectors.Config { return new(okta.Config) },
		"entra": func() connectors.Config { return new(msgraph.Config) },
	}
}
