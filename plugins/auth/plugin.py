"""The auth plugin's hooks."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, PUBLIC, ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.core.throttle import LoginThrottle
from posmodern.plugins.auth import audit_log, routes, users


@hookimpl
def pos_table_access():
    # Users belong to the core (sign-in works whatever is loaded); this plugin lists them.
    return [TableAccess("auth", reads=("users", "audit_log"))]


@hookimpl
def pos_startup(runtime):
    # Per process: its hashing slots are this process's memory; its counters are in the cache.
    runtime.state["auth"] = LoginThrottle(runtime.cache, runtime.settings)


@hookimpl
def pos_shutdown(runtime):
    runtime.state.pop("auth", None)


@hookimpl
def pos_settings():
    return [routes.SESSION_MAX_HOURS]


@hookimpl
def pos_routes(settings):
    return [
        ApiRoute("auth.token", "POST", "/api/v1/auth/token", routes.issue_token, PUBLIC,
                 summary="Exchange a username and password for an access token",
                 body=routes.TokenRequest, tags=("auth",), errors=(429,)),
        ApiRoute("auth.refresh", "POST", "/api/v1/auth/refresh", routes.refresh_token, ANY_ROLE,
                 summary="A new token for a valid one, with the same sign-in (a screen left "
                 "signed in; refused once the sign-in is older than POS_SESSION_MAX_HOURS)",
                 tags=("auth",)),
        ApiRoute("auth.me", "GET", "/api/v1/auth/me", routes.me, ANY_ROLE,
                 summary="Who the token speaks for", tags=("auth",)),
        ApiRoute("auth.users.list", "GET", "/api/v1/auth/users", routes.list_users,
                 frozenset({"admin", "manager"}), summary="The tenant's users", tags=("auth",)),
        ApiRoute("auth.users.create", "POST", "/api/v1/auth/users", routes.create_user,
                 frozenset({"admin"}), summary="Add a user to the tenant",
                 body=routes.UserCreate, status_code=201, tags=("auth",)),
        ApiRoute("auth.users.get", "GET", "/api/v1/users/{user_id}", users.get_user,
                 frozenset({"admin", "manager"}), summary="One of the tenant's users",
                 tags=("auth",)),
        ApiRoute("auth.users.change", "PATCH", "/api/v1/users/{user_id}", users.change_user,
                 frozenset({"admin"}), summary="Change a user's roles or deactivate them "
                 "(their tokens stop working at once)", body=users.UserChange, tags=("auth",)),
        ApiRoute("auth.users.password", "POST", "/api/v1/users/{user_id}/password",
                 users.change_password, ANY_ROLE,
                 summary="Change one's own password (with the current one), or reset a "
                 "user's as an admin; the user's tokens stop working at once",
                 body=users.PasswordChange, tags=("auth",)),
        ApiRoute("auth.audit", "GET", "/api/v1/audit", audit_log.list_audit,
                 frozenset({"admin"}), summary="The audit log, newest first (read-only; "
                 "filters, cursor pages)", query=audit_log.AuditQuery, tags=("auth",)),
    ]
