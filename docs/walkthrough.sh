#!/usr/bin/env bash
# The README's walkthrough, runnable: every step checks its HTTP status and captures what later
# steps use. Run it against a service that is up (`npm start` in another terminal):
#
#   bash docs/walkthrough.sh                          # BASE=http://127.0.0.1:3000, bootstraps tenant "acme"
#   BASE=https://keyhold.internal ADMIN=kh_pat_… bash docs/walkthrough.sh   # an existing admin token instead
#
# Without ADMIN it creates the tenant with the CLI (`npm run cli -- bootstrap`; KEYHOLD_CLI
# overrides the command), which writes to the service's DATA_DIR: run it beside the service.
# CI runs it against a fresh service (test/e2e/walkthrough.e2e.spec.ts).
set -euo pipefail
trap 'echo "✗ walkthrough.sh line $LINENO failed" >&2' ERR

BASE=${BASE:-http://127.0.0.1:3000}
TENANT=${TENANT:-acme}
KEYHOLD_CLI=${KEYHOLD_CLI:-npm run --silent cli --}

# call EXPECTED_STATUS METHOD PATH [curl arguments…]: the body lands in $BODY; any other status stops the walk.
call() {
  local expected=$1 method=$2 path=$3
  shift 3
  local out
  out=$(curl -sS -X "$method" "$BASE$path" -w '\n%{http_code}' "$@")
  BODY=${out%$'\n'*}
  local status=${out##*$'\n'}
  if [[ "$status" != "$expected" ]]; then
    echo "✗ $method $path: expected $expected, got $status: $BODY" >&2
    exit 1
  fi
  echo "✓ $method $path → $status"
}
# field EXPRESSION: a value from the last body, e.g. field .token
field() { node -e 'const v = eval("JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"))" + process.argv[1]); if (v === undefined || v === null) process.exit(1); console.log(v)' "$1" <<<"$BODY"; }

JSON=(-H 'Content-Type: application/json')

# Create a tenant and its first admin; the last line of stdout is JSON with the admin's token,
# shown this once. Safe to run while the service runs.
if [[ -z "${ADMIN:-}" ]]; then
  BODY=$($KEYHOLD_CLI bootstrap --tenant "$TENANT" --admin "alice@$TENANT.test" | tail -1)
  ADMIN=$(field .token)
  # The service picks the new tenant up from the log within moments.
  for _ in $(seq 50); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/me" -H "Authorization: Bearer $ADMIN") == 200 ]] && break
    sleep 0.1
  done
fi
AUTH=(-H "Authorization: Bearer $ADMIN")

call 200 GET /v1/me "${AUTH[@]}"

# Issue a personal API token: the response is the only time the secret is shown.
call 201 POST /v1/tokens "${AUTH[@]}" "${JSON[@]}" -H "Idempotency-Key: powerbi-$(date +%s%N)" \
  -d '{"label": "Power BI on laptop", "scope": "read", "expiresAt": "2099-06-30T00:00:00Z"}'
TOKEN=$(field .token)
TOKEN_ID=$(field .id)

call 200 GET /v1/tokens "${AUTH[@]}"                        # your tokens (hints, never secrets)
call 200 GET '/v1/tokens?owner=all&limit=20' "${AUTH[@]}"   # admins: everyone's

# Verify a credential (RFC 7662); the caller needs the tokens:introspect permission.
call 200 POST /oauth/introspect "${AUTH[@]}" --data-urlencode "token=$TOKEN"
[[ $(field .active) == true ]]

# Revoke: final, effective on this node before the response returns; the reason reaches auditors.
call 200 POST "/v1/tokens/$TOKEN_ID/revoke" "${AUTH[@]}" "${JSON[@]}" -d '{"reason": "laptop lost"}'
call 200 POST /oauth/introspect "${AUTH[@]}" --data-urlencode "token=$TOKEN"
[[ $(field .active) == false ]]

# Users: add one (the answer carries a one-time invitation link, valid 72 h, never a token of
# the user: they open it, set a password and issue their own tokens), change their role.
call 201 POST /v1/users "${AUTH[@]}" "${JSON[@]}" -d "{\"email\": \"bob-$(date +%s%N)@$TENANT.test\", \"role\": \"member\"}"
USER_ID=$(field .id)
[[ $(field .invitation.url) == */invitations/* ]]
call 200 PUT "/v1/users/$USER_ID/role" "${AUTH[@]}" "${JSON[@]}" -d '{"role": "auditor"}'

# Service accounts for the client_credentials grant: created with no permissions; the secret is shown once.
call 201 POST /v1/service-accounts "${AUTH[@]}" "${JSON[@]}" -d '{"name": "nightly export"}'
SA_ID=$(field .clientId)
SA_SECRET=$(field .clientSecret)
call 200 PUT "/v1/service-accounts/$SA_ID/permissions/connections:use" "${AUTH[@]}"
call 200 PUT "/v1/service-accounts/$SA_ID/projects/bridge-42" "${AUTH[@]}"

# OAuth 2.0 client_credentials (client_secret_basic or client_secret_post); scope within what the account holds.
call 200 POST /oauth/token -u "$SA_ID:$SA_SECRET" -d grant_type=client_credentials -d scope=connections:use
ACCESS_TOKEN=$(field .access_token)
SERVICE=$ACCESS_TOKEN
call 200 GET /.well-known/oauth-authorization-server                    # RFC 8414

# A stored third-party credential (admins only); reads never show a secret, only which are set.
call 201 POST /v1/connections "${AUTH[@]}" "${JSON[@]}" \
  -d '{"name": "Slack alerts", "service": "slack", "allowedDomains": ["slack.com"], "credential": {"type": "bearer_token", "token": "xoxb-walkthrough"}}'
CONNECTION_ID=$(field .id)
# An internal service holding connections:use gets it back for an allowed domain (each access is an event).
call 200 POST "/v1/connections/$CONNECTION_ID/access" -H "Authorization: Bearer $SERVICE" "${JSON[@]}" -d '{"domain": "slack.com"}'
[[ $(field .credential.token) == xoxb-walkthrough ]]

# RFC 7009: the account revokes its access token.
call 200 POST /oauth/revoke -u "$SA_ID:$SA_SECRET" --data-urlencode "token=$ACCESS_TOKEN"
call 401 POST "/v1/connections/$CONNECTION_ID/access" -H "Authorization: Bearer $SERVICE" "${JSON[@]}" -d '{"domain": "slack.com"}'

# Resetting the secret kills the old secret and its access tokens at once and resets every
# permission and project membership.
call 200 POST "/v1/service-accounts/$SA_ID/reset-secret" "${AUTH[@]}" -H 'Keyhold-Reason: secret leaked in CI logs'

# API clients: several expiring secrets, exact-match redirect URIs and flow settings; client
# credentials is off until turned on with the roles the client acts with.
call 201 POST /v1/api-clients "${AUTH[@]}" "${JSON[@]}" -d '{"name": "reporting dashboard"}'
AC_ID=$(field .clientId)
call 200 PATCH "/v1/api-clients/$AC_ID/flows" "${AUTH[@]}" "${JSON[@]}" -d '{"clientCredentials": true, "clientCredentialsRoles": ["member"]}'
call 201 POST "/v1/api-clients/$AC_ID/secrets" "${AUTH[@]}" "${JSON[@]}" -d '{"lifetimeDays": 90}'   # a second secret, to rotate without downtime
call 200 GET "/v1/api-clients/$AC_ID/secrets" "${AUTH[@]}"
call 200 POST "/v1/api-clients/$AC_ID/redirect-uris" "${AUTH[@]}" "${JSON[@]}" -d '{"uri": "https://app.example.com/callback"}'
call 200 GET '/v1/api-client-secrets?expiringWithinDays=30' "${AUTH[@]}"

# History for auditors: one credential's events, with the reason given.
call 200 GET "/v1/history?kind=personal_api_token&id=$TOKEN_ID" "${AUTH[@]}"
[[ $(field '.items.find((e) => e.type === "TokenRevoked").reason') == 'laptop lost' ]]

# Operations: readiness, metrics (an admin's token, or METRICS_TOKEN), the API document and Swagger UI.
call 200 GET /health/ready
call 200 GET /metrics "${AUTH[@]}"
call 200 GET /openapi.json
call 200 GET /docs

echo "Walkthrough complete."
