"""The plugins shipped with POS Modern; each registers through the ``posmodern`` entry points."""
