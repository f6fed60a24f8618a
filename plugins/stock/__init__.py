"""Stock: items per product and store, movements IN/OUT/ADJUST, stock that follows orders."""
