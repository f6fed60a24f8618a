"""The settings plugin: a store's values of the settings declared per store."""
