"""iFood: a marketplace of the remote_orders plugin (the Merchant API's order and events
modules)."""
