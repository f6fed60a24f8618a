"""Orders: priced from the catalog, numbered per store, moved along their lifecycle, with events."""
