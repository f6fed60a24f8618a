"""Sign-in: access tokens for a tenant's users, and user management for admins."""
