"""Kitchen display: tickets by station from order events, bump and recall, live screens."""
