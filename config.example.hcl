# dirsync configuration example. Every option is shown with its default or an
# example value. Check a file with:  dirsync config validate FILE
#
# Secrets are never written here: use *_file (absolute, relative to this file,
# or a systemd credential name from LoadCredential=, looked up in
# $CREDENTIALS_DIRECTORY first) or *_env (an environment variable name).

# Where the SQLite database (dirsync.db) and drift reports live.
# Default: $STATE_DIRECTORY (systemd StateDirectory=), else /var/lib/dirsync.
# A relative path is relative to this file.
data_dir = "/var/lib/dirsync"

# trace, debug, info, warn, error. The --log-level flag overrides it.
log_level = "info"

# text, json, or auto: json when running under systemd (journald), else text.
log_format = "auto"

# The SCIM 2.0 endpoint the IdPs push to. Each integration's base URL is
# {public_url}/scim/{source name}/v2; `dirsync token create NAME` prints it.
scim {
  # Address to listen on. Keep it on loopback behind a TLS proxy, or set the
  # TLS files below and listen publicly.
  listen = "127.0.0.1:8080"

  # The URL the IdPs reach this listener at (through your proxy).
  # Default: http(s)://{listen}.
  public_url = "https://dirsync.example.com"

  # Serve TLS directly (TLS 1.2+). Both or neither.
  # tls_cert_file = "/etc/dirsync/tls/cert.pem"
  # tls_key_file  = "/etc/dirsync/tls/key.pem"

  # Largest request body accepted; larger answers 413. Default 1 MiB.
  max_body_bytes = 1048576
}

# Health (/healthz, /readyz), Prometheus metrics (/metrics) and status for
# `dirsync status`. Not for the internet: keep it on loopback.
admin {
  listen = "127.0.0.1:9090"
}

# Limits that keep a bad or partial IdP read from emptying the directory.
safety {
  # Hold a run's deactivations when it would deactivate more than this many
  # users, or more than this share of the source's active users. Creates and
  # updates still apply; the run is reported as held (exit code 4) until an
  # admin re-runs with --allow-deactivations or raises a limit.
  max_deactivations        = 50
  max_deactivation_percent = 10

  # userNames (case-insensitive) that no sync ever changes: break-glass admins.
  protected_users = ["breakglass@example.com"]
}

# Alerts for the failures that otherwise go unnoticed for days. Each is logged
# at error, exported in /metrics and /readyz, and POSTed as JSON to the webhook.
alerts {
  # webhook_url = "https://hooks.example.com/dirsync"
  after_failures = 3     # a source failing this many runs in a row
  no_success_for = "24h" # a pulling source without a successful run this long
}

# One block per integration: source "TYPE" "NAME". TYPE is "okta" or "entra"
# and selects the IdP's matching rules and SCIM dialect; NAME appears in SCIM
# URLs, logs and the audit log. A block with nothing but its labels is a
# push-only integration: its SCIM endpoint works once a token exists.

source "okta" "okta" {
  # --- options every source has ---

  # Incremental pulls: 5-field cron or a descriptor ("@every 15m", "@hourly").
  # Leave unset for no scheduled pulls (sync on demand with `dirsync sync`).
  schedule = "@every 15m"

  # Full reads catch what an incremental read cannot see (app unassignments).
  # Default "@daily" when schedule is set.
  full_sync_schedule = "0 3 * * *"

  # Delay each scheduled run by a random duration up to this.
  jitter = "30s"

  # Run a full sync when the daemon starts.
  run_at_start = true

  # What a username change in Okta does. "new" (default, as Okta documents it
  # for LastPass): a new user is created with the new name and the old account
  # is deactivated. "rename": match on the Okta user id and rename in place.
  username_change = "new"

  # What SCIM DELETE /Users/{id} does: "delete" (default, RFC 7644) or
  # "deactivate". Okta itself never deletes users over SCIM.
  on_delete = "deactivate"

  # --- Okta pull settings (okta-sdk-golang/v2) ---

  # Your Okta org. https only (http is accepted for 127.0.0.1, the simulator).
  org_url = "https://example.okta.com"

  # Auth, one of: an API token ...
  api_token_file = "okta-token" # systemd: LoadCredential=okta-token:/etc/dirsync/okta-token
  # api_token_env = "OKTA_API_TOKEN"

  # ... or OAuth 2.0 service-app auth with a private key (Okta's recommendation
  # for new integrations), granted the scopes below.
  # client_id        = "0oa1abcdefghijklmnop"
  # private_key_file = "okta-private-key.pem" # PEM (PKCS#1, PKCS#8, EC) or a JWK
  # private_key_id   = "kid-of-the-key"        # when the app has several keys
  # scopes           = ["okta.users.read", "okta.groups.read", "okta.apps.read"]

  # Scope: users assigned to this Okta app (directly or through groups).
  # Unset: every user in the org.
  app_id = "0oa1exampleappid"

  # Groups to push (group overwrite: Okta's member list replaces the app's).
  # By id, exact name, name pattern (RE2), and/or every group assigned to the app.
  group_ids              = ["00g1exampleid"]
  group_names            = ["Engineering", "Sales"]
  group_name_pattern     = "^LastPass-"
  groups_assigned_to_app = true

  # Okta statuses that count as active; others (SUSPENDED, DEPROVISIONED) deactivate.
  active_statuses = ["ACTIVE", "PROVISIONED", "STAGED", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED"]

  # userName from the Okta username ("login", default) or from the app
  # assignment's username ("app": what Okta's SCIM push sends, which the app's
  # "Application username format" can make differ from login; needs app_id).
  user_name = "login"

  # Okta profile attributes for displayName (an empty value falls back to
  # "firstName lastName") and the work email. Match what the app's SCIM
  # mapping pushes, so that push and pull agree.
  display_name = "displayName"
  email        = "email"

  # SCIM enterprise attributes pulled from Okta profile attributes.
  enterprise = {
    employeeNumber = "employeeNumber"
    department     = "department"
  }

  page_size                = 200 # users per page, at most 200
  max_concurrency          = 4   # parallel group-member reads
  request_timeout          = "30s"
  max_retries              = 5  # 429 retries through the SDK's backoff
  rate_limit_min_remaining = 10 # pause when X-Rate-Limit-Remaining drops below
}

source "entra" "entra" {
  schedule           = "@every 10m"
  full_sync_schedule = "@daily"
  # Entra users are matched on objectId (externalId); a userPrincipalName change
  # renames in place. username_change can only be "rename" here.

  # --- Microsoft Graph pull settings (msgraph-sdk-go) ---
  tenant_id = "00000000-0000-0000-0000-000000000001"
  client_id = "00000000-0000-0000-0000-000000000002"

  # One credential: a client secret ...
  client_secret_file = "graph-secret" # systemd: LoadCredential=graph-secret:...
  # client_secret_env = "GRAPH_CLIENT_SECRET"
  # ... or a certificate (PEM with its private key).
  # certificate_file = "graph-cert.pem"

  # National clouds: e.g. https://login.microsoftonline.us/ and
  # https://graph.microsoft.us/v1.0.
  authority_host = "https://login.microsoftonline.com/"
  graph_url      = "https://graph.microsoft.com/v1.0"
  # Extra CA certificates (PEM) to trust for both, e.g. behind a TLS-inspecting
  # proxy. The system roots stay trusted.
  # ca_file = "/etc/dirsync/proxy-ca.pem"

  # "assigned": users and groups assigned to the app (Entra's "sync only
  # assigned users and groups"), read from the service principal below.
  # "all": every user.
  scope                = "assigned"
  service_principal_id = "00000000-0000-0000-0000-000000000003"

  # userName from "userPrincipalName" (default) or "mail". Match what the Entra
  # provisioning mapping sends, or every user is duplicated.
  user_name_attribute = "userPrincipalName"

  # SCIM enterprise attributes from Graph user properties.
  enterprise = {
    employeeNumber = "employeeId"
    department     = "department"
    manager        = "manager"
  }

  # Narrow the groups that are synced (by name, or "prefix*"); users in scope
  # are unaffected. Default: every group in scope.
  # groups = ["LastPass Admins", "LP-*"]

  # Expand nested groups into their user members (cycle-safe).
  nested_groups = false

  page_size       = 999
  max_concurrency = 4
  max_retries     = 3
  request_timeout = "60s"
}

# A push-only integration: Entra's provisioning service pushes over SCIM, no pulls.
source "entra" "entra-push" {}
