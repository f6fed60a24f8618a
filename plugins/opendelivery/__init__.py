"""Open Delivery (Abrasel's open standard): a marketplace of the remote_orders plugin."""
